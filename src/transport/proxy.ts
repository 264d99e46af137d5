// Which proxy (if any) a URL goes through, and the HTTP CONNECT tunnel itself. Done here rather
// than with undici's ProxyAgent so that one connect deadline covers proxy connect, CONNECT and the
// TLS handshake with the endpoint, and so that errors say whether the proxy or the endpoint failed.
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxySettings {
  /** Explicit proxy (config `transport.proxy`); wins over the environment. */
  proxy?: string;
  /** Explicit no-proxy list; else NO_PROXY / no_proxy from `env`. */
  noProxy?: string;
  env?: NodeJS.ProcessEnv;
}

function hostMatches(host: string, port: string, rawEntry: string): boolean {
  let entry = rawEntry.trim().toLowerCase();
  if (entry === '') return false;
  if (entry === '*') return true;
  let entryPort: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  if (bracketed) [, entry = '', entryPort] = bracketed;
  else if (hostPort) [, entry = '', entryPort] = hostPort;
  if (entryPort !== undefined && entryPort !== port) return false;
  entry = entry.replace(/^\*\./, '.');
  if (entry.startsWith('.')) return host.endsWith(entry) || host === entry.slice(1);
  return host === entry || host.endsWith(`.${entry}`);
}

/** True when `url`'s host is covered by a NO_PROXY-style list (comma or space separated; `*`, `.suffix`, `host`, `host:port`). */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined || noProxy.trim() === '') return false;
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy.split(/[\s,]+/).some((entry) => hostMatches(host, port, entry));
}

/** The proxy URL to use for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const env = settings.env ?? {};
  const configured = settings.proxy ?? env.HTTPS_PROXY ?? env.https_proxy ?? env.ALL_PROXY ?? env.all_proxy;
  if (configured === undefined || configured.trim() === '') return undefined;
  const noProxy = settings.noProxy ?? env.NO_PROXY ?? env.no_proxy;
  if (bypassesProxy(target, noProxy)) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(configured) ? configured : `http://${configured}`;
  return new URL(withScheme);
}

/** The proxy URL without credentials, for messages and logs. */
export function redactProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** Marks errors from talking to the proxy (not the endpoint), for classification. */
export class ProxyTunnelError extends Error {
  readonly proxy: string;
  readonly status: number | undefined;
  override readonly cause: unknown;
  constructor(message: string, proxy: string, status?: number, cause?: unknown) {
    super(message);
    this.proxy = proxy;
    this.status = status;
    this.cause = cause;
  }
}

/**
 * Opens a CONNECT tunnel to host:port through an http:// proxy. Resolves with the raw socket, over
 * which the caller runs TLS with the endpoint (the proxy never sees the plaintext).
 */
export function openTunnel(proxy: URL, host: string, port: number): { socket: Promise<Socket>; cancel: () => void } {
  if (proxy.protocol !== 'http:') {
    const error = new ProxyTunnelError(`only http:// proxies are supported, not ${proxy.protocol}`, redactProxy(proxy));
    return { socket: Promise.reject(error), cancel: () => undefined };
  }
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const req = request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: authority, headers, agent: false });
  const name = redactProxy(proxy);
  const socket = new Promise<Socket>((resolve, reject) => {
    req.once('connect', (res, tunnel, head) => {
      if (res.statusCode !== 200) {
        tunnel.destroy();
        reject(new ProxyTunnelError(`the proxy ${name} refused to open a tunnel to ${authority}: HTTP ${res.statusCode}`, name, res.statusCode));
        return;
      }
      if (head.length > 0) tunnel.unshift(head);
      resolve(tunnel);
    });
    req.once('response', (res) => {
      res.resume();
      reject(new ProxyTunnelError(`the proxy ${name} answered CONNECT with HTTP ${res.statusCode}`, name, res.statusCode));
    });
    req.once('error', (error) => reject(new ProxyTunnelError(`cannot reach the proxy ${name}: ${error.message}`, name, undefined, error)));
  });
  req.end();
  return { socket, cancel: () => req.destroy() };
}
