import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, CredentialError, ExitCode, ProtocolError, TrustError, UnreachableError, exitCodeOf } from '../../src/errors.js';
import { createHttpsClient } from '../../src/transport/httpsClient.js';
import type { HttpsClient } from '../../src/transport/httpsClient.js';
import { hasOpenssl } from '../helpers/tools.js';
import { answerSoap, refusingUrl, soapFault, startBlackHole, startConnectProxy, startHttpsServer } from './helpers/servers.js';
import { createTestPki } from './helpers/testPki.js';
import type { TestPki } from './helpers/testPki.js';

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the request to fail');
}

describe.skipIf(!hasOpenssl)('HTTPS client', () => {
  let pki: TestPki;
  let client: HttpsClient;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.cleanup());

  const newClient = (options: Parameters<typeof createHttpsClient>[0] = {}): HttpsClient => {
    client = createHttpsClient({ ca: pki.rootPem, env: {}, ...options });
    return client;
  };

  it('POSTs SOAP 1.2 with Content-Type and Content-Length, and returns status, headers, body and Date', async () => {
    let seen: { method?: string; type?: string; length?: string; body?: string } = {};
    const server = await startHttpsServer({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      handler: (req, res, body) => {
        seen = { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body };
        answerSoap(req, res, body);
      },
    });
    try {
      const response = await newClient().post(server.url, '<x>é</x>');
      expect(seen).toEqual({ method: 'POST', type: 'application/soap+xml; charset=utf-8', length: '9', body: '<x>é</x>' });
      expect(response.status).toBe(200);
      expect(response.body).toContain('<ok/>');
      expect(response.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
      expect(response.date).toBeInstanceOf(Date);
      expect(Math.abs((response.date as Date).getTime() - Date.now())).toBeLessThan(5_000);
      expect(response.url).toBe(server.url);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('reuses one connection for consecutive requests to the same endpoint', async () => {
    const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
    try {
      const http = newClient();
      for (let i = 0; i < 20; i++) await http.post(server.url, '<x/>');
      expect(server.requests).toBe(20);
      // undici may open a second socket while the first is being handed back to the pool
      expect(server.connections).toBeLessThanOrEqual(2);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('returns an HTTP 500 that carries a SOAP fault to the caller, and fails over on a 5xx without one', async () => {
    const server = await startHttpsServer({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      handler: (req, res) => {
        if (req.url === '/fault') {
          res.writeHead(500, { 'content-type': 'application/soap+xml; charset=utf-8' });
          res.end(soapFault);
        } else {
          res.writeHead(503, { 'content-type': 'text/html' });
          res.end('<html><body>Service Unavailable</body></html>');
        }
      },
    });
    try {
      const http = newClient();
      const origin = `https://127.0.0.1:${server.port}`;
      const fault = await http.post(`${origin}/fault`, '<x/>');
      expect(fault.status).toBe(500);
      expect(fault.body).toContain('Denied by Policy Module');
      const error = await failure(http.post(`${origin}/busy`, '<x/>'));
      expect(error).toBeInstanceOf(UnreachableError);
      expect(error.code).toBe('HTTP_5XX');
      expect(error.message).toContain('HTTP 503');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('maps 401/403 to a credential error, 404 to a configuration error naming the URL, and a redirect to a protocol error', async () => {
    const server = await startHttpsServer({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      handler: (req, res) => {
        const status = Number(req.url?.slice(1));
        res.writeHead(status, status === 302 ? { location: 'https://elsewhere.example/CES' } : {});
        res.end('no');
      },
    });
    try {
      const http = newClient();
      const origin = `https://127.0.0.1:${server.port}`;
      const unauthorized = await failure(http.post(`${origin}/401`, '<x/>'));
      expect(unauthorized).toBeInstanceOf(CredentialError);
      expect(unauthorized.code).toBe('HTTP_UNAUTHORIZED');
      expect((await failure(http.post(`${origin}/403`, '<x/>'))).code).toBe('HTTP_FORBIDDEN');
      const notFound = await failure(http.post(`${origin}/404`, '<x/>'));
      expect(notFound).toBeInstanceOf(ConfigError);
      expect(notFound.code).toBe('HTTP_NOT_FOUND');
      expect(notFound.message).toContain(`${origin}/404`);
      expect(notFound.message).toContain('service.svc/CES');
      const redirect = await failure(http.post(`${origin}/302`, '<x/>'));
      expect(redirect).toBeInstanceOf(ProtocolError);
      expect(redirect.message).toContain('https://elsewhere.example/CES');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('refuses answers over the size cap, whether declared up front or streamed', async () => {
    const big = 'x'.repeat(64 * 1024);
    const server = await startHttpsServer({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      handler: (req, res) => {
        res.writeHead(200, req.url === '/declared' ? { 'content-length': String(big.length) } : {});
        if (req.url === '/declared') res.end(big);
        else for (let i = 0; i < 8; i++) res.write(big.slice(0, 8 * 1024));
        if (req.url !== '/declared') res.end();
      },
    });
    try {
      const http = newClient({ maxResponseBytes: 32 * 1024 });
      const origin = `https://127.0.0.1:${server.port}`;
      for (const path of ['/declared', '/chunked']) {
        const error = await failure(http.post(`${origin}${path}`, '<x/>'));
        expect(error).toBeInstanceOf(ProtocolError);
        expect(error.code).toBe('BODY_TOO_LARGE');
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('refuses http:// endpoints outright', async () => {
    const error = await failure(newClient().post('http://127.0.0.1:1/CES', '<x/>'));
    expect(error.code).toBe('INSECURE_URL');
    expect(exitCodeOf(error)).toBe(ExitCode.CONFIG);
    await client.close();
  });

  describe('unreachable endpoints (exit 3)', () => {
    it('reports a refused connection', async () => {
      const error = await failure(newClient().post(await refusingUrl(), '<x/>'));
      await client.close();
      expect(error).toBeInstanceOf(UnreachableError);
      expect(error.code).toBe('CONNECTION_REFUSED');
      expect(exitCodeOf(error)).toBe(ExitCode.UNREACHABLE);
    });

    it('reports a name that does not resolve', async () => {
      const error = await failure(newClient().post('https://no-such-host.invalid/CES', '<x/>'));
      await client.close();
      expect(error.code).toMatch(/^DNS_(NOT_FOUND|FAILED)$/);
      expect(exitCodeOf(error)).toBe(ExitCode.UNREACHABLE);
    });

    it('gives up connecting after connectTimeoutMs when the TLS handshake never completes', async () => {
      const hole = await startBlackHole();
      const started = performance.now();
      const error = await failure(newClient({ connectTimeoutMs: 300 }).post(hole.url, '<x/>'));
      const elapsed = performance.now() - started;
      await client.close();
      await hole.close();
      expect(error.code).toBe('CONNECT_TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2_000);
    });

    it('gives up after requestTimeoutMs when the server accepts the request and never answers', async () => {
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, handler: () => undefined });
      const started = performance.now();
      const error = await failure(newClient({ requestTimeoutMs: 300 }).post(server.url, '<x/>'));
      const elapsed = performance.now() - started;
      await client.close();
      await server.close();
      expect(error.code).toBe('RESPONSE_TIMEOUT');
      expect(error.message).toContain('300 ms');
      expect(elapsed).toBeLessThan(2_000);
    });
  });

  describe('TLS trust failures (exit 4, each with its own code and a readable cause)', () => {
    const cases = [
      { name: 'unknown issuer', cert: 'unknownIssuer', code: 'TLS_UNKNOWN_ISSUER', words: ['not trusted', 'trust.caFile', 'Stranger Root'] },
      { name: 'expired', cert: 'expired', code: 'TLS_CERT_EXPIRED', words: ['expired on 2020-02-01'] },
      { name: 'not yet valid', cert: 'notYetValid', code: 'TLS_CERT_NOT_YET_VALID', words: ['not valid before 2090-01-01'] },
      { name: 'host-name mismatch', cert: 'wrongName', code: 'TLS_HOSTNAME_MISMATCH', words: ['wrong.example.invalid', 'not for 127.0.0.1'] },
    ] as const;
    for (const testCase of cases) {
      it(`${testCase.name} → ${testCase.code}`, async () => {
        const issued = pki[testCase.cert];
        const server = await startHttpsServer({ cert: issued.certPem, key: issued.keyPem });
        try {
          const error = await failure(newClient().post(server.url, '<x/>'));
          expect(error).toBeInstanceOf(TrustError);
          expect(error.code).toBe(testCase.code);
          expect(exitCodeOf(error)).toBe(ExitCode.CONFIG);
          for (const word of testCase.words) expect(error.message).toContain(word);
          expect(server.requests).toBe(0);
        } finally {
          await client.close();
          await server.close();
        }
      });
    }

    it('does not trust a private CA unless it is configured (system store by default)', async () => {
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
      try {
        client = createHttpsClient({ env: {} });
        const error = await failure(client.post(server.url, '<x/>'));
        expect(error).toBeInstanceOf(TrustError);
        expect(error.code).toMatch(/^TLS_(UNKNOWN_ISSUER|SELF_SIGNED)$/);
      } finally {
        await client.close();
        await server.close();
      }
    });
  });

  describe('client certificates', () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`presents the certificate and the server receives it (${maxVersion})`, async () => {
        const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.rootPem });
        try {
          const response = await newClient().post(server.url, '<x/>', {
            clientCertificate: { certPem: pki.client.certPem, keyPem: pki.client.keyPem },
            maxTlsVersion: maxVersion,
          });
          expect(response.status).toBe(200);
          expect(server.peerSubjects).toEqual(['CN=ws01.contoso.test']);
        } finally {
          await client.close();
          await server.close();
        }
      });

      // Node's TLS server drops the connection without an alert: that is an outage of the endpoint
      // under TLS 1.2 (only an alert or HTTP 401/403 is a refusal); under TLS 1.3 a certificate
      // endpoint that closes before answering is explained as TLS 1.3 client authentication.
      it(`reports a connection dropped after the client certificate as ${maxVersion === 'TLSv1.2' ? 'CONNECTION_RESET' : 'TLS13_CLIENT_CERT_UNSUPPORTED'} (${maxVersion})`, async () => {
        const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.rootPem });
        try {
          const error = await failure(
            newClient().post(server.url, '<x/>', {
              clientCertificate: { certPem: pki.untrustedClient.certPem, keyPem: pki.untrustedClient.keyPem },
              maxTlsVersion: maxVersion,
            }),
          );
          if (maxVersion === 'TLSv1.2') {
            expect(error).toBeInstanceOf(UnreachableError);
            expect(error.code).toBe('CONNECTION_RESET');
          } else {
            expect(error).toBeInstanceOf(TrustError);
            expect(error.code).toBe('TLS13_CLIENT_CERT_UNSUPPORTED');
            expect(error.message).toContain('keep the TLS 1.2 default');
          }
        } finally {
          await client.close();
          await server.close();
        }
      });
    }

    it('reports a TLS version mismatch as a handshake failure (an outage of that endpoint), not as a refused certificate', async () => {
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, minVersion: 'TLSv1.3' });
      try {
        const error = await failure(newClient().post(server.url, '<x/>', { clientCertificate: { certPem: pki.client.certPem, keyPem: pki.client.keyPem } }));
        expect(error).toBeInstanceOf(UnreachableError);
        expect(error.code).toBe('TLS_HANDSHAKE_FAILED');
      } finally {
        await client.close();
        await server.close();
      }
    });

    it('caps TLS at 1.2 by default when a client certificate is sent (IIS renegotiation)', async () => {
      let protocol: string | null = null;
      const server = await startHttpsServer({
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        clientCa: pki.rootPem,
        handler: (req, res, body) => {
          protocol = (req.socket as TLSSocket).getProtocol();
          answerSoap(req, res, body);
        },
      });
      try {
        await newClient().post(server.url, '<x/>', { clientCertificate: { certPem: pki.client.certPem, keyPem: pki.client.keyPem } });
        expect(protocol).toBe('TLSv1.2');
      } finally {
        await client.close();
        await server.close();
      }
    });
  });

  describe('proxy', () => {
    it('tunnels through HTTPS_PROXY with CONNECT, and the endpoint is still verified end to end', async () => {
      const proxy = await startConnectProxy();
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
      const stranger = await startHttpsServer({ cert: pki.unknownIssuer.certPem, key: pki.unknownIssuer.keyPem });
      try {
        const http = newClient({ env: { HTTPS_PROXY: proxy.url } });
        expect((await http.post(server.url, '<x/>')).status).toBe(200);
        expect(proxy.tunnels).toEqual([`127.0.0.1:${server.port}`]);
        expect((await failure(http.post(stranger.url, '<x/>'))).code).toBe('TLS_UNKNOWN_ISSUER');
      } finally {
        await client.close();
        await Promise.all([server.close(), stranger.close(), proxy.close()]);
      }
    });

    it('honours NO_PROXY, and the configured proxy wins over the environment', async () => {
      const proxy = await startConnectProxy();
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
      try {
        const bypass = createHttpsClient({ ca: pki.rootPem, env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.1' } });
        expect((await bypass.post(server.url, '<x/>')).status).toBe(200);
        await bypass.close();
        expect(proxy.tunnels).toEqual([]);

        client = createHttpsClient({ ca: pki.rootPem, proxy: proxy.url, env: { HTTPS_PROXY: 'http://127.0.0.1:1' } });
        expect((await client.post(server.url, '<x/>')).status).toBe(200);
        expect(proxy.tunnels).toHaveLength(1);
      } finally {
        await client.close();
        await Promise.all([server.close(), proxy.close()]);
      }
    });

    it('names the proxy when the proxy itself is down', async () => {
      const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
      const deadProxy = (await refusingUrl()).replace('https://', 'http://').replace('/CES', '');
      try {
        const error = await failure(newClient({ proxy: deadProxy }).post(server.url, '<x/>'));
        expect(error).toBeInstanceOf(UnreachableError);
        expect(error.code).toBe('PROXY_UNREACHABLE');
        expect(error.message).toContain(deadProxy);
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
});
