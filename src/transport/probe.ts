// Step-by-step checks of one endpoint for `autoenroll doctor`: DNS, TCP connect, TLS (with the
// server certificate described even when it is refused) and the server's clock from the HTTP Date
// header. Each step reports on its own, so a report can say exactly which one failed and why.
// Verification is never relaxed: a refused certificate is described, not accepted.
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { AutoenrollError } from '../errors.js';
import type { ClientCertificate } from './httpsClient.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './httpsClient.js';
import { capturePeerCertificate } from './peerCertificate.js';
import type { PeerCertificateSummary } from './peerCertificate.js';
import { openTunnel, proxyFor, redactProxy } from './proxy.js';
import { classifyTransportError, parseEndpointUrl } from './transportErrors.js';
import type { FailureContext } from './transportErrors.js';
import { isPkcs11Uri } from '../pki/pkcs11Uri.js';
import { tokenSecureContext } from './tokenTlsContext.js';

export interface ProbeOptions {
  ca?: string | Buffer;
  clientCertificate?: ClientCertificate;
  /** Default as for requests: TLSv1.2 with a client certificate, else TLSv1.3. */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Deadline for each step. */
  timeoutMs?: number;
  proxy?: string;
  noProxy?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ProbeResult {
  url: string;
  /** The proxy the checks went through (credentials removed); DNS and TCP are then about the proxy. */
  via?: string;
  dns: { ok: boolean; host: string; addresses?: string[]; error?: AutoenrollError };
  tcp: { ok: boolean; skipped?: boolean; address?: string; ms?: number; error?: AutoenrollError };
  tls: {
    ok: boolean;
    skipped?: boolean;
    /** The chain and host name were verified against the trust bundle. */
    authorized: boolean;
    protocol?: string;
    ms?: number;
    clientCertificateSent: boolean;
    peerCertificate?: PeerCertificateSummary;
    error?: AutoenrollError;
  };
  /** The server's clock, from the Date header of a HEAD request over the verified connection. */
  httpDate?: Date;
  httpStatus?: number;
}

const skipped = { ok: false, skipped: true } as const;

function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(Object.assign(new Error(`timed out after ${ms} ms`), { code: 'AUTOENROLL_TIMEOUT' }));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  const socket = netConnect({ host, port });
  const connected = new Promise<Socket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
  return withDeadline(connected, timeoutMs, () => socket.destroy());
}

/** Sends HEAD over the verified connection and reads the status line and the Date header. */
function readHttpHead(socket: TLSSocket, target: URL, timeoutMs: number): Promise<{ status: number; date?: Date }> {
  const answered = new Promise<{ status: number; date?: Date }>((resolve, reject) => {
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n\r\n');
      if (end < 0 && received.length < 65536) return;
      const head = received.slice(0, end < 0 ? undefined : end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
      const dateText = /\r\ndate:\s*([^\r\n]+)/i.exec(head)?.[1];
      const date = dateText !== undefined ? new Date(dateText) : undefined;
      resolve({ status, ...(date && !Number.isNaN(date.getTime()) ? { date } : {}) });
    });
    socket.once('error', reject);
    socket.once('end', () => reject(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
    socket.write(`HEAD ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
  });
  return withDeadline(answered, timeoutMs, () => socket.destroy());
}

export async function probeEndpoint(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const target = parseEndpointUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const proxy = proxyFor(target, { proxy: options.proxy, noProxy: options.noProxy, env: options.env ?? process.env });
  const host = (proxy ?? target).hostname.replace(/^\[|\]$/g, '');
  const port = Number((proxy ?? target).port) || (proxy ? 80 : 443);
  const clientCertificateSent = options.clientCertificate !== undefined;
  const context: FailureContext = { url, clientCertificate: clientCertificateSent, duringConnect: true, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs };
  const result: ProbeResult = {
    url,
    ...(proxy ? { via: redactProxy(proxy) } : {}),
    dns: { ok: false, host },
    tcp: { ...skipped },
    tls: { ...skipped, authorized: false, clientCertificateSent },
  };
  const fail = (error: unknown, extra: Partial<FailureContext> = {}): AutoenrollError =>
    classifyTransportError(error, { ...context, ...extra, ...((error as { code?: string }).code === 'AUTOENROLL_TIMEOUT' ? { timedOut: 'connect' as const } : {}) });

  try {
    const addresses = isIP(host) ? [host] : (await withDeadline(lookup(host, { all: true }), timeoutMs, () => undefined)).map((entry) => entry.address);
    result.dns = { ok: true, host, addresses };
  } catch (error) {
    result.dns = { ok: false, host, error: fail(error) };
    return result;
  }

  const address = result.dns.addresses?.[0] ?? host;
  let tcpStarted = performance.now();
  try {
    const socket = await connectTcp(address, port, timeoutMs);
    result.tcp = { ok: true, address, ms: performance.now() - tcpStarted };
    socket.destroy();
  } catch (error) {
    result.tcp = { ok: false, address, error: fail(error) };
    return result;
  }

  const tlsOptions: ConnectionOptions = {
    ca: options.ca,
    // Explicit, so that the environment (tlsVerifyOverride.ts) cannot turn verification off.
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    maxVersion: options.maxTlsVersion ?? (clientCertificateSent ? 'TLSv1.2' : undefined),
    ALPNProtocols: ['http/1.1'],
    servername: isIP(target.hostname.replace(/^\[|\]$/g, '')) ? undefined : target.hostname,
  };
  if (options.clientCertificate) {
    const { certPem, keyPem, chainPem } = options.clientCertificate;
    tlsOptions.cert = chainPem ? `${certPem.trimEnd()}\n${chainPem}` : certPem;
    if (isPkcs11Uri(keyPem)) {
      tlsOptions.secureContext = tokenSecureContext({
        certPem: tlsOptions.cert,
        keyUri: keyPem,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(tlsOptions.maxVersion !== undefined ? { maxTlsVersion: tlsOptions.maxVersion } : {}),
      });
    } else {
      tlsOptions.key = keyPem;
    }
  }
  let peerCertificate: PeerCertificateSummary | undefined;
  let socket: TLSSocket | undefined;
  tcpStarted = performance.now();
  try {
    let tunnel: Socket | undefined;
    if (proxy) {
      const opened = openTunnel(proxy, target.hostname.replace(/^\[|\]$/g, ''), Number(target.port) || 443);
      tunnel = await withDeadline(opened.socket, timeoutMs, opened.cancel);
    }
    const tls = tlsConnect({ ...tlsOptions, ...(tunnel ? { socket: tunnel } : { host: address, port }), rejectUnauthorized: true });
    socket = tls;
    capturePeerCertificate(tls, (summary) => {
      peerCertificate = summary;
    });
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        tls.once('secureConnect', () => resolve());
        tls.once('error', reject);
      }),
      timeoutMs,
      () => tls.destroy(),
    );
  } catch (error) {
    socket?.destroy();
    result.tls = { ok: false, authorized: false, clientCertificateSent, ...(peerCertificate ? { peerCertificate } : {}), error: fail(error, peerCertificate ? { peerCertificate } : {}) };
    return result;
  }

  const protocol = socket.getProtocol() ?? undefined;
  result.tls = { ok: true, authorized: socket.authorized, clientCertificateSent, ms: performance.now() - tcpStarted, ...(protocol ? { protocol } : {}), ...(peerCertificate ? { peerCertificate } : {}) };
  try {
    const head = await readHttpHead(socket, target, timeoutMs);
    if (Number.isFinite(head.status)) result.httpStatus = head.status;
    if (head.date) result.httpDate = head.date;
  } catch (error) {
    // A server that drops the connection right after a TLS 1.3 handshake in which we sent a client
    // certificate has refused that certificate; report it on the TLS step, where the fix lies.
    const classified = fail(error, { duringConnect: false, nothingReceived: true, ...(protocol ? { tlsVersion: protocol } : {}) });
    if (classified.code === 'TLS_CLIENT_CERT_REJECTED' || classified.code === 'TLS13_CLIENT_CERT_UNSUPPORTED') result.tls = { ...result.tls, ok: false, error: classified };
  } finally {
    socket.destroy();
  }
  return result;
}
