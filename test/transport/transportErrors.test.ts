import { describe, expect, it } from 'vitest';
import { CredentialError, ProtocolError, TrustError, UnreachableError } from '../../src/errors.js';
import { ProxyTunnelError, bypassesProxy, proxyFor } from '../../src/transport/proxy.js';
import { classifyHttpStatus, classifyTransportError, parseEndpointUrl } from '../../src/transport/transportErrors.js';
import type { FailureContext } from '../../src/transport/transportErrors.js';

const context: FailureContext = { url: 'https://ces01.contoso.test/CES', clientCertificate: false, duringConnect: true };
const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyTransportError', () => {
  const table: [string, Partial<FailureContext>, string, unknown][] = [
    ['ENOTFOUND', {}, 'DNS_NOT_FOUND', UnreachableError],
    ['EAI_AGAIN', {}, 'DNS_FAILED', UnreachableError],
    ['ECONNREFUSED', {}, 'CONNECTION_REFUSED', UnreachableError],
    ['EHOSTUNREACH', {}, 'NETWORK_UNREACHABLE', UnreachableError],
    ['ECONNRESET', {}, 'CONNECTION_RESET', UnreachableError],
    // A reset or close is an outage, also with a client certificate: only an alert is a refusal.
    ['ECONNRESET', { clientCertificate: true }, 'CONNECTION_RESET', UnreachableError],
    ['UND_ERR_SOCKET', { duringConnect: false, clientCertificate: true, nothingReceived: true }, 'CONNECTION_RESET', UnreachableError],
    ['UND_ERR_SOCKET', { duringConnect: false, clientCertificate: true, nothingReceived: true, tlsVersion: 'TLSv1.3' }, 'TLS13_CLIENT_CERT_UNSUPPORTED', TrustError],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', { duringConnect: true, clientCertificate: true }, 'TLS_CLIENT_CERT_REJECTED', TrustError],
    ['UND_ERR_SOCKET', { duringConnect: false, clientCertificate: true, nothingReceived: false }, 'CONNECTION_RESET', UnreachableError],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', { clientCertificate: true }, 'TLS_CLIENT_CERT_REJECTED', TrustError],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', {}, 'TLS_HANDSHAKE_FAILED', UnreachableError],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', {}, 'TLS_UNKNOWN_ISSUER', TrustError],
    ['SELF_SIGNED_CERT_IN_CHAIN', {}, 'TLS_SELF_SIGNED', TrustError],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', {}, 'TLS_SELF_SIGNED', TrustError],
    ['CERT_HAS_EXPIRED', {}, 'TLS_CERT_EXPIRED', TrustError],
    ['CERT_REVOKED', {}, 'TLS_CERT_REVOKED', TrustError],
    ['INVALID_PURPOSE', {}, 'TLS_CERT_INVALID', TrustError],
    ['UND_ERR_HEADERS_TIMEOUT', { duringConnect: false }, 'RESPONSE_TIMEOUT', UnreachableError],
    ['EWHATEVER', { duringConnect: false }, 'TRANSPORT_FAILED', ProtocolError],
  ];
  for (const [code, extra, expected, type] of table) {
    it(`${code}${extra.clientCertificate ? ' with a client certificate' : ''} → ${expected}`, () => {
      const error = classifyTransportError(withCode(code), { ...context, ...extra });
      expect(error.code).toBe(expected);
      expect(error).toBeInstanceOf(type as new () => unknown);
      expect(error.message).toContain('ces01.contoso.test');
    });
  }

  it('our own deadlines win over whatever error the abort produced', () => {
    expect(classifyTransportError(new Error('aborted'), { ...context, timedOut: 'connect', connectTimeoutMs: 300 }).code).toBe('CONNECT_TIMEOUT');
    const response = classifyTransportError(new Error('aborted'), { ...context, timedOut: 'response', requestTimeoutMs: 300 });
    expect(response.code).toBe('RESPONSE_TIMEOUT');
    expect(response.message).toContain('300 ms');
  });

  it('tells proxy failures from endpoint failures', () => {
    expect(classifyTransportError(new ProxyTunnelError('down', 'http://proxy:3128'), context).code).toBe('PROXY_UNREACHABLE');
    expect(classifyTransportError(new ProxyTunnelError('no', 'http://proxy:3128', 403), context).code).toBe('PROXY_TUNNEL_REFUSED');
    const auth = classifyTransportError(new ProxyTunnelError('auth', 'http://proxy:3128', 407), context);
    expect(auth).toBeInstanceOf(CredentialError);
    expect(auth.code).toBe('PROXY_AUTH_REQUIRED');
  });
});

describe('classifyHttpStatus', () => {
  it('treats 401/403 as a refused client certificate when one was sent', () => {
    expect(classifyHttpStatus(403, { ...context, clientCertificate: true }).code).toBe('TLS_CLIENT_CERT_REJECTED');
    expect(classifyHttpStatus(403, context)).toBeInstanceOf(CredentialError);
    expect(classifyHttpStatus(502, context).code).toBe('HTTP_5XX');
    expect(classifyHttpStatus(500, { ...context, clientCertificate: true, tlsVersion: 'TLSv1.2' }).code).toBe('HTTP_5XX');
    expect(classifyHttpStatus(500, { ...context, clientCertificate: true, tlsVersion: 'TLSv1.3' }).code).toBe('TLS13_CLIENT_CERT_UNSUPPORTED');
    expect(classifyHttpStatus(404, context).exitCode).toBe(4);
    expect(classifyHttpStatus(405, context).code).toBe('HTTP_METHOD_NOT_ALLOWED');
    const large = classifyHttpStatus(413, { ...context, clientCertificate: true, requestBytes: 60_000 });
    expect(large.code).toBe('REQUEST_TOO_LARGE_FOR_RENEGOTIATION');
    expect(large.message).toContain('60000-byte');
    expect(large.message).toContain('uploadReadAheadSize');
    expect(classifyHttpStatus(418, context)).toBeInstanceOf(ProtocolError);
  });
});

describe('parseEndpointUrl', () => {
  it('accepts https and rejects anything else or garbage', () => {
    expect(parseEndpointUrl('https://a.example/CES').host).toBe('a.example');
    expect(() => parseEndpointUrl('http://a.example/CES')).toThrow(/only https/);
    expect(() => parseEndpointUrl('not a url')).toThrow(/not a valid URL/);
  });
});

describe('proxy selection', () => {
  const url = (text: string) => new URL(text);
  it('matches NO_PROXY entries like curl: exact, domain suffix, leading dot, port, star', () => {
    expect(bypassesProxy(url('https://ces.contoso.com/x'), 'contoso.com')).toBe(true);
    expect(bypassesProxy(url('https://ces.contoso.com/x'), '.contoso.com')).toBe(true);
    expect(bypassesProxy(url('https://ces.contoso.com/x'), '*.contoso.com')).toBe(true);
    expect(bypassesProxy(url('https://notcontoso.com/x'), 'contoso.com')).toBe(false);
    expect(bypassesProxy(url('https://ces.contoso.com:8443/x'), 'ces.contoso.com:8443')).toBe(true);
    expect(bypassesProxy(url('https://ces.contoso.com/x'), 'ces.contoso.com:8443')).toBe(false);
    expect(bypassesProxy(url('https://[::1]/x'), '::1')).toBe(true);
    expect(bypassesProxy(url('https://anything/x'), '*')).toBe(true);
    expect(bypassesProxy(url('https://anything/x'), '')).toBe(false);
  });

  it('prefers the configured proxy, then HTTPS_PROXY / https_proxy; a bare host:port gets http://', () => {
    const target = url('https://ces.contoso.com/CES');
    expect(proxyFor(target, { proxy: 'http://cfg:3128', env: { HTTPS_PROXY: 'http://env:3128' } })?.host).toBe('cfg:3128');
    expect(proxyFor(target, { env: { https_proxy: 'proxy.lan:8080' } })?.href).toBe('http://proxy.lan:8080/');
    expect(proxyFor(target, { env: { HTTPS_PROXY: 'http://env:3128', NO_PROXY: 'contoso.com' } })).toBeUndefined();
    expect(proxyFor(target, { env: {} })).toBeUndefined();
  });
});
