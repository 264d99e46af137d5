// Every way an HTTPS exchange can fail, mapped onto the error classes of src/errors.ts with a
// stable code. The class decides what happens next (protocol.md §3.5): UnreachableError and
// ProtocolError → the next endpoint is tried (exit 3 if none answers); TrustError → the others are
// tried too, but the fix is configuration (exit 4); CredentialError → stop (exit 4).
import { humanInstant } from '../log/instant.js';
import { AutoenrollError, ConfigError, CredentialError, EndpointConfigError, ProtocolError, TrustError, UnreachableError } from '../errors.js';
import type { PeerCertificateSummary } from './peerCertificate.js';
import { ProxyTunnelError } from './proxy.js';

export const TransportErrorCode = {
  DNS_NOT_FOUND: 'DNS_NOT_FOUND',
  DNS_FAILED: 'DNS_FAILED',
  CONNECTION_REFUSED: 'CONNECTION_REFUSED',
  CONNECTION_RESET: 'CONNECTION_RESET',
  NETWORK_UNREACHABLE: 'NETWORK_UNREACHABLE',
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  RESPONSE_TIMEOUT: 'RESPONSE_TIMEOUT',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  HTTP_5XX: 'HTTP_5XX',
  HTTP_NOT_FOUND: 'HTTP_NOT_FOUND',
  HTTP_REDIRECT: 'HTTP_REDIRECT',
  HTTP_STATUS: 'HTTP_STATUS',
  HTTP_UNAUTHORIZED: 'HTTP_UNAUTHORIZED',
  HTTP_FORBIDDEN: 'HTTP_FORBIDDEN',
  PROXY_UNREACHABLE: 'PROXY_UNREACHABLE',
  PROXY_TUNNEL_REFUSED: 'PROXY_TUNNEL_REFUSED',
  PROXY_AUTH_REQUIRED: 'PROXY_AUTH_REQUIRED',
  TLS_UNKNOWN_ISSUER: 'TLS_UNKNOWN_ISSUER',
  TLS_SELF_SIGNED: 'TLS_SELF_SIGNED',
  TLS_CERT_EXPIRED: 'TLS_CERT_EXPIRED',
  TLS_CERT_NOT_YET_VALID: 'TLS_CERT_NOT_YET_VALID',
  TLS_CERT_REVOKED: 'TLS_CERT_REVOKED',
  TLS_CERT_INVALID: 'TLS_CERT_INVALID',
  TLS_HOSTNAME_MISMATCH: 'TLS_HOSTNAME_MISMATCH',
  TLS_HANDSHAKE_FAILED: 'TLS_HANDSHAKE_FAILED',
  TLS_CLIENT_CERT_REJECTED: 'TLS_CLIENT_CERT_REJECTED',
  INVALID_URL: 'INVALID_URL',
  HTTP_METHOD_NOT_ALLOWED: 'HTTP_METHOD_NOT_ALLOWED',
  REQUEST_TOO_LARGE_FOR_RENEGOTIATION: 'REQUEST_TOO_LARGE_FOR_RENEGOTIATION',
  TLS13_CLIENT_CERT_UNSUPPORTED: 'TLS13_CLIENT_CERT_UNSUPPORTED',
  INSECURE_URL: 'INSECURE_URL',
  ABORTED: 'ABORTED',
  HTTP_REQUEST_TOO_LARGE: 'HTTP_REQUEST_TOO_LARGE',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** What is known about the exchange when it failed. */
export interface FailureContext {
  url: string;
  /** A client certificate was configured for this request. */
  clientCertificate: boolean;
  /** The failure happened while connecting (TCP, proxy tunnel or TLS handshake), not after. */
  duringConnect: boolean;
  /** Our own deadline fired: which one. */
  timedOut?: 'connect' | 'response';
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The server certificate as seen during the handshake (also when it was refused). */
  peerCertificate?: PeerCertificateSummary;
  /** The server had sent no byte of HTTP on the connection that failed. */
  nothingReceived?: boolean;
  /** The TLS version negotiated on the connection (e.g. "TLSv1.3"), when known. */
  tlsVersion?: string;
  /** Size of the request body in bytes. */
  requestBytes?: number;
}

/** IIS's default uploadReadAheadSize (system.webServer/serverRuntime). */
export const IIS_UPLOAD_READ_AHEAD_BYTES = 49_152;

/** What a CEP / CES URL looks like, for messages about a wrong one. */
export const EXPECTED_PATH_SHAPE = 'https://HOST/ADPolicyProvider_CEP_<Auth>/service.svc/CEP for a policy server, https://HOST/<CA name>_CES_<Auth>/service.svc/CES for an enrollment service';

const UNKNOWN_ISSUER = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_UNTRUSTED',
]);
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);
const CERT_INVALID = new Set([
  'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'CERT_REJECTED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD', 'HOSTNAME_MISMATCH',
]);
/** TLS alerts a server sends when it does not accept (or did not get) our client certificate. */
const CLIENT_CERT_ALERT = /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|ACCESS_DENIED|DECRYPT_ERROR)$/;

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function where(context: FailureContext): string {
  try {
    return new URL(context.url).host;
  } catch {
    return context.url;
  }
}

function certificateText(peer: PeerCertificateSummary | undefined): string {
  if (peer === undefined) return 'the server certificate';
  return `the server certificate "${peer.subject}" (issued by "${peer.issuer}")`;
}

function day(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an unknown date' : humanInstant(date);
}

function trust(code: TransportErrorCode, message: string, context: FailureContext, cause: unknown): TrustError {
  return new TrustError(`${where(context)}: ${message}`, code, context.url, { cause });
}

function unreachable(code: TransportErrorCode, message: string, context: FailureContext, cause: unknown): UnreachableError {
  return new UnreachableError(`${where(context)}: ${message}`, [], code, { cause });
}

function classifyCertificate(code: string, context: FailureContext, cause: unknown): TrustError | undefined {
  const peer = context.peerCertificate;
  const cert = certificateText(peer);
  if (UNKNOWN_ISSUER.has(code)) {
    return trust(TransportErrorCode.TLS_UNKNOWN_ISSUER, `${cert} was issued by a CA that is not trusted (${code}). Fix: set trust.caFile to the CA that issued the server certificate (or add that CA to the system store).`, context, cause);
  }
  if (SELF_SIGNED.has(code)) {
    return trust(TransportErrorCode.TLS_SELF_SIGNED, `${cert} is self-signed or chains to a root that is not trusted (${code}). Fix: set trust.caFile to that root CA.`, context, cause);
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return trust(TransportErrorCode.TLS_CERT_EXPIRED, `${cert} expired on ${peer ? day(peer.notAfter) : 'an earlier date'}. Fix: renew the server's TLS certificate (or check this machine's clock).`, context, cause);
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return trust(TransportErrorCode.TLS_CERT_NOT_YET_VALID, `${cert} is not valid before ${peer ? day(peer.notBefore) : 'a later date'}. Fix: check this machine's clock (and the server's certificate).`, context, cause);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = peer && peer.subjectAltNames.length > 0 ? peer.subjectAltNames.join(', ') : 'other names';
    return trust(TransportErrorCode.TLS_HOSTNAME_MISMATCH, `${cert} is for ${names}, not for ${new URL(context.url).hostname}. Fix: use a URL with one of the certificate's names, or reissue the server certificate with this name.`, context, cause);
  }
  if (code === 'CERT_REVOKED') {
    return trust(TransportErrorCode.TLS_CERT_REVOKED, `${cert} has been revoked. Fix: the server needs a new TLS certificate.`, context, cause);
  }
  if (CERT_INVALID.has(code)) {
    return trust(TransportErrorCode.TLS_CERT_INVALID, `${cert} failed verification (${code}). Fix: check the server's certificate chain and trust.caFile.`, context, cause);
  }
  return undefined;
}

function clientCertificateRejected(context: FailureContext, cause: unknown, how: string): TrustError {
  return trust(
    TransportErrorCode.TLS_CLIENT_CERT_REJECTED,
    `the server refused our client certificate (${how}). Fix: check that the certificate is valid, issued by a CA the server trusts, and allowed for this endpoint; IIS asks for client certificates by TLS 1.2 renegotiation, which TLS 1.3 lacks: keep transport.maxTlsVersionForClientCert at TLSv1.2 unless the binding negotiates client certificates up front (clientcertnegotiation=enable).`,
    context,
    cause,
  );
}

function tls13ClientCertificate(context: FailureContext, what: string, cause: unknown): TrustError {
  return trust(
    TransportErrorCode.TLS13_CLIENT_CERT_UNSUPPORTED,
    `${what} over TLS 1.3 on a client-certificate endpoint: IIS asks for the client certificate by renegotiation, which TLS 1.3 does not have, so it can never see it. Fix: keep the TLS 1.2 default for client-certificate endpoints (remove transport.maxTlsVersionForClientCert: TLSv1.3).`,
    context,
    cause,
  );
}

/** Classifies a failure thrown while sending a request or reading its answer. */
export function classifyTransportError(error: unknown, context: FailureContext): AutoenrollError {
  if (error instanceof AutoenrollError) return error;
  if (context.timedOut === 'connect') {
    return unreachable(TransportErrorCode.CONNECT_TIMEOUT, `no connection within ${context.connectTimeoutMs ?? '?'} ms (TCP connect and TLS handshake). The server is down, filtered by a firewall, or overloaded.`, context, error);
  }
  if (context.timedOut === 'response') {
    return unreachable(TransportErrorCode.RESPONSE_TIMEOUT, `no complete answer within ${context.requestTimeoutMs ?? '?'} ms. The server accepted the connection but did not answer in time.`, context, error);
  }
  if (error instanceof ProxyTunnelError) {
    if (error.status === 407) {
      return new CredentialError(`the proxy ${error.proxy} requires authentication (HTTP 407). Fix: put the proxy credentials in the proxy URL or use a proxy that allows this machine.`, TransportErrorCode.PROXY_AUTH_REQUIRED, { cause: error });
    }
    const code = error.status === undefined ? TransportErrorCode.PROXY_UNREACHABLE : TransportErrorCode.PROXY_TUNNEL_REFUSED;
    return unreachable(code, error.message, context, error);
  }

  const code = codeOf(error);
  const certificateError = classifyCertificate(code, context, error);
  if (certificateError !== undefined) return certificateError;

  switch (code) {
    case 'ENOTFOUND':
      return unreachable(TransportErrorCode.DNS_NOT_FOUND, `the host name does not resolve (${code}). Check the URL and this machine's DNS.`, context, error);
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return unreachable(TransportErrorCode.DNS_FAILED, `DNS lookup failed (${code}); the DNS server did not answer.`, context, error);
    case 'ECONNREFUSED':
      return unreachable(TransportErrorCode.CONNECTION_REFUSED, 'connection refused: nothing listens on that port (service stopped or wrong port).', context, error);
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'EADDRNOTAVAIL':
      return unreachable(TransportErrorCode.NETWORK_UNREACHABLE, `no route to the server (${code}).`, context, error);
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return unreachable(TransportErrorCode.CONNECT_TIMEOUT, `connecting timed out (${code}).`, context, error);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return unreachable(TransportErrorCode.RESPONSE_TIMEOUT, `the server did not answer in time (${code}).`, context, error);
    default:
      break;
  }

  // Only a TLS alert means the server refused our certificate; a reset or a close is an outage of
  // that endpoint (transient: the next one is tried), except over TLS 1.3 to a certificate
  // endpoint, where IIS cannot ask for the certificate at all.
  if (context.clientCertificate && CLIENT_CERT_ALERT.test(code)) return clientCertificateRejected(context, error, `TLS alert ${code}`);
  const closed = code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
  if (closed && context.clientCertificate && !context.duringConnect && context.tlsVersion === 'TLSv1.3') return tls13ClientCertificate(context, 'the connection was reset before any answer', error);
  if (closed) {
    return unreachable(TransportErrorCode.CONNECTION_RESET, `the server closed the connection ${context.duringConnect ? 'during the TLS handshake' : 'before answering'} (${code}). This is treated as a passing outage of this endpoint.`, context, error);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO' || context.duringConnect) {
    const hint = context.clientCertificate ? '' : ' If the endpoint requires a client certificate, configure it (auth: certificate).';
    return unreachable(TransportErrorCode.TLS_HANDSHAKE_FAILED, `TLS handshake failed: ${messageOf(error).split('\n')[0]} (${code || 'no code'}).${hint}`, context, error);
  }
  return new ProtocolError(`${where(context)}: the exchange failed: ${messageOf(error)}${code ? ` (${code})` : ''}`, 'TRANSPORT_FAILED', { cause: error });
}

/** A non-success HTTP status that carries no SOAP envelope, as an error. */
export function classifyHttpStatus(status: number, context: FailureContext, location?: string): AutoenrollError {
  if (status === 401 || status === 403) {
    if (context.clientCertificate) return clientCertificateRejected(context, undefined, `HTTP ${status}`);
    return new CredentialError(
      `${where(context)}: the server refused our credentials (HTTP ${status}). Fix: check the username and password, and that this endpoint's authentication type matches the configuration.`,
      status === 401 ? TransportErrorCode.HTTP_UNAUTHORIZED : TransportErrorCode.HTTP_FORBIDDEN,
    );
  }
  if (status === 404 || status === 405) {
    return new EndpointConfigError(
      `${context.url}: HTTP ${status} (${status === 404 ? 'no service at this path' : 'the path does not accept SOAP POSTs'}) — the URL is wrong. Expected ${EXPECTED_PATH_SHAPE}; compare with the URL IIS or the policy publishes.`,
      status === 404 ? TransportErrorCode.HTTP_NOT_FOUND : TransportErrorCode.HTTP_METHOD_NOT_ALLOWED,
      context.url,
    );
  }
  if (status === 413 && context.clientCertificate) {
    const size = context.requestBytes !== undefined ? `${context.requestBytes}-byte` : 'large';
    return new EndpointConfigError(
      `${context.url}: HTTP 413 Request Entity Too Large: IIS asks for the client certificate by TLS renegotiation and must buffer the request body meanwhile, at most uploadReadAheadSize (${IIS_UPLOAD_READ_AHEAD_BYTES} bytes by default); this ${size} request is larger. Fix on the server: raise uploadReadAheadSize (system.webServer/serverRuntime) for the CES site, or have http.sys negotiate the client certificate in the initial handshake (netsh http add sslcert … clientcertnegotiation=enable); or make the request smaller (fewer subject names or extensions, a smaller key).`,
      TransportErrorCode.REQUEST_TOO_LARGE_FOR_RENEGOTIATION,
      context.url,
    );
  }
  if (status === 500 && context.clientCertificate && context.tlsVersion === 'TLSv1.3') return tls13ClientCertificate(context, 'HTTP 500 without a SOAP fault', undefined);
  if (status === 413) {
    // IIS asks for the client certificate by TLS 1.2 renegotiation after the request arrived: it must
    // hold the whole body meanwhile, at most uploadReadAheadSize bytes (48 KiB by default).
    const why = context.clientCertificate
      ? 'IIS buffers the request body while it renegotiates TLS 1.2 to ask for the client certificate, and the request is larger than its uploadReadAheadSize (48 KiB by default)'
      : 'the request is larger than the server accepts';
    return unreachable(
      TransportErrorCode.HTTP_REQUEST_TOO_LARGE,
      `HTTP 413 (request entity too large): ${why}. Fix: on the CES/CEP site raise system.webServer/serverRuntime uploadReadAheadSize (e.g. appcmd set config "<site>" -section:serverRuntime -uploadReadAheadSize:1048576 /commit:apphost), or negotiate client certificates up front (netsh http update sslcert … clientcertnegotiation=enable) and set transport.maxTlsVersionForClientCert: TLSv1.3.`,
      context,
      undefined,
    );
  }
  if (status >= 500) return unreachable(TransportErrorCode.HTTP_5XX, `HTTP ${status} without a SOAP fault: the web service is failing.`, context, undefined);
  if (status >= 300 && status < 400) {
    return new ProtocolError(`${where(context)}: HTTP ${status} redirect${location ? ` to ${location}` : ''}; redirects are not followed for enrollment requests. Fix: configure the final URL.`, TransportErrorCode.HTTP_REDIRECT);
  }
  return new ProtocolError(`${where(context)}: unexpected HTTP ${status}.`, TransportErrorCode.HTTP_STATUS);
}

/** Validates an endpoint URL before anything is sent: HTTPS only (passwords and keys travel here). */
export function parseEndpointUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`not a valid URL: ${JSON.stringify(url)}`, {}, TransportErrorCode.INVALID_URL);
  }
  if (parsed.protocol !== 'https:') {
    throw new ConfigError(`${parsed.protocol}//${parsed.host}: only https:// endpoints are allowed`, {}, TransportErrorCode.INSECURE_URL);
  }
  return parsed;
}
