// POSTing SOAP over HTTPS to CEP/CES endpoints (protocol.md §1.1, §1.4a). One undici Agent per
// (origin, proxy, client-certificate identity, TLS version cap), kept for connection reuse. Every
// request has a connect deadline and a whole-request deadline enforced by our own timers, and a
// body-size cap enforced while reading. Answers that may carry a SOAP fault (HTTP 500 with a SOAP
// envelope) are returned for the SOAP layer to judge; anything else that is not a success is
// classified here (transportErrors.ts).
import { createHash } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import { AutoenrollError, InternalError, ProtocolError, UnreachableError } from '../errors.js';
import { connectFailures, createConnector } from './connector.js';
import type { Connector } from './connector.js';
import { proxyFor, redactProxy } from './proxy.js';
import { Agent } from './undiciAgent.js';
import { classifyHttpStatus, classifyTransportError, parseEndpointUrl, TransportErrorCode } from './transportErrors.js';
import type { FailureContext } from './transportErrors.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
  /** Intermediates to send after the certificate. */
  chainPem?: string;
}

export interface HttpsClientOptions {
  /** PEM bundle that verifies the servers (config trust.caFile); undefined = the system store. */
  ca?: string | Buffer;
  /** Proxy URL (config transport.proxy); else HTTPS_PROXY from `env`. */
  proxy?: string;
  /** Hosts that bypass the proxy; else NO_PROXY from `env`. */
  noProxy?: string;
  env?: NodeJS.ProcessEnv;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
}

export interface PostOptions {
  clientCertificate?: ClientCertificate;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Default: TLSv1.2 when a client certificate is sent (IIS asks for it by renegotiation), else TLSv1.3. */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Statuses returned as answers instead of being classified as errors (Negotiate reads its 401s). */
  acceptStatus?: readonly number[];
  /**
   * Requests of one group share one pooled connection of their own (connection-bound
   * authentication such as Negotiate); `HttpsResponse.connection` then tells which one answered.
   */
  connectionGroup?: string;
}

export interface HttpsResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The server's Date header (for clock-skew checks), or null. */
  date: Date | null;
  url: string;
  elapsedMs: number;
  /** Serial number of the connection that answered (only meaningful with connectionGroup). */
  connection?: number;
}

export interface HttpsClient {
  post(url: string, body: string, options?: PostOptions): Promise<HttpsResponse>;
  /** Closes every pooled connection. The client cannot be used afterwards. */
  close(): Promise<void>;
}

interface Route {
  agent: Agent;
  connector: Connector;
}

function identityOf(certificate: ClientCertificate | undefined): string {
  if (certificate === undefined) return 'anonymous';
  return createHash('sha256').update(certificate.certPem).update('\0').update(certificate.chainPem ?? '').update('\0').update(certificate.keyPem).digest('hex');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** A SOAP envelope (which may hold a fault the SOAP layer must see), judged cheaply. */
export function looksLikeSoapEnvelope(contentType: string | undefined, body: string): boolean {
  if (contentType !== undefined && !/xml/i.test(contentType)) return false;
  return /<(?:[A-Za-z_][\w.-]*:)?Envelope[\s>/]/.test(body.slice(0, 4096));
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}

export function createHttpsClient(options: HttpsClientOptions = {}): HttpsClient {
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  const maxResponseBytes = positive('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES);
  const env = options.env ?? process.env;
  const routes = new Map<string, Route>();
  let closed = false;

  function routeFor(target: URL, certificate: ClientCertificate | undefined, maxTlsVersion: SecureVersion | undefined, group?: string): Route {
    const proxy = proxyFor(target, { proxy: options.proxy, noProxy: options.noProxy, env });
    const key = [target.origin, proxy ? redactProxy(proxy) : 'direct', identityOf(certificate), maxTlsVersion ?? 'default', group ?? ''].join('|');
    let route = routes.get(key);
    if (route === undefined) {
      const connector = createConnector({ ca: options.ca, clientCertificate: certificate, maxTlsVersion, proxy, connectTimeoutMs });
      // undici's own timeouts stay as a backstop only; ours fire first and say which phase failed.
      const agent = new Agent({
        connect: connector.connect,
        headersTimeout: requestTimeoutMs + 5_000,
        bodyTimeout: requestTimeoutMs + 5_000,
        connections: group === undefined ? 8 : 1,
      });
      route = { agent, connector };
      routes.set(key, route);
    }
    return route;
  }

  async function post(url: string, body: string, postOptions: PostOptions = {}): Promise<HttpsResponse> {
    if (closed) throw new InternalError('the HTTPS client was used after close()', 'CLIENT_CLOSED');
    const target = parseEndpointUrl(url);
    const certificate = postOptions.clientCertificate;
    const maxTlsVersion = postOptions.maxTlsVersion ?? (certificate ? 'TLSv1.2' : undefined);
    const route = routeFor(target, certificate, maxTlsVersion, postOptions.connectionGroup);
    const context: FailureContext = { url, clientCertificate: certificate !== undefined, duringConnect: false, connectTimeoutMs, requestTimeoutMs };
    const callerSignal = postOptions.signal;
    if (callerSignal?.aborted) throw cancelled(url, callerSignal);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, requestTimeoutMs);
    const onCallerAbort = (): void => controller.abort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const started = monotonicMs();
    const openedBefore = route.connector.opened;
    let headersReceived = false;

    try {
      const response = await route.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: {
          'content-type': SOAP_CONTENT_TYPE,
          ...postOptions.headers,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
        signal: controller.signal,
      });
      headersReceived = true;
      const headers = flattenHeaders(response.headers);
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        response.body.destroy();
        throw tooLarge(url, maxResponseBytes, declared);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxResponseBytes) {
          response.body.destroy();
          throw tooLarge(url, maxResponseBytes);
        }
        chunks.push(chunk);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const status = response.statusCode;
      const isSuccess = status >= 200 && status < 300;
      const mayCarryFault = (status === 400 || status >= 500) && looksLikeSoapEnvelope(headers['content-type'], text);
      if (!isSuccess && !mayCarryFault && postOptions.acceptStatus?.includes(status) !== true) throw classifyHttpStatus(status, context, headers.location);
      const parsedDate = headers.date !== undefined ? new Date(headers.date) : null;
      return {
        status,
        headers,
        body: text,
        date: parsedDate !== null && !Number.isNaN(parsedDate.getTime()) ? parsedDate : null,
        url,
        elapsedMs: monotonicMs() - started,
        connection: route.connector.opened,
      };
    } catch (error) {
      if (error instanceof AutoenrollError) throw error;
      if (!timedOut && callerSignal?.aborted) throw cancelled(url, callerSignal);
      const connectInfo = typeof error === 'object' && error !== null ? connectFailures.get(error) : undefined;
      const socketInfo = (error as { socket?: { bytesRead?: number } }).socket;
      const freshConnection = route.connector.opened > openedBefore;
      throw classifyTransportError(error, {
        ...context,
        duringConnect: connectInfo !== undefined,
        ...(connectInfo?.timedOut ? { timedOut: 'connect' as const } : timedOut ? { timedOut: 'response' as const } : {}),
        ...(connectInfo?.peerCertificate ? { peerCertificate: connectInfo.peerCertificate } : {}),
        nothingReceived: !headersReceived && (socketInfo?.bytesRead === 0 || (socketInfo === undefined && freshConnection)),
      });
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function close(): Promise<void> {
    closed = true;
    const agents = [...routes.values()].map((route) => route.agent);
    routes.clear();
    await Promise.all(agents.map((agent) => agent.close().catch(() => agent.destroy())));
  }

  return { post, close };
}

/** The global `performance` would load node:perf_hooks on first use, on every CLI start. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function tooLarge(url: string, limit: number, declared?: number): ProtocolError {
  const host = new URL(url).host;
  const size = declared === undefined ? 'more than that' : `${declared} bytes`;
  return new ProtocolError(`${host}: the answer is larger than the ${limit}-byte limit (${size}); refusing to read it.`, TransportErrorCode.BODY_TOO_LARGE);
}

function cancelled(url: string, signal: AbortSignal): AutoenrollError {
  if (signal.reason instanceof AutoenrollError) return signal.reason;
  return new UnreachableError(`${new URL(url).host}: the request was cancelled`, [], TransportErrorCode.ABORTED, { cause: signal.reason });
}
