// The TLS client certificate with a token key behind an IIS-like front: the server accepts the
// connection without asking for a certificate, reads the request, then renegotiates asking for
// one (what IIS does for a CES with "require client certificate" on TLS 1.2; no session
// resumption on renegotiation, so the full handshake carries the CertificateRequest). The key
// stays in SoftHSM; OpenSSL signs both handshakes through the pkcs11 engine, and the one context
// serves every connection of the process.
import { constants, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/pki/csr.js';
import { pemEncode } from '../../src/pki/pem.js';
import { closeTokens, generateTokenKey, openToken } from '../../src/pki/pkcs11Token.js';
import { createHttpsClient } from '../../src/transport/httpsClient.js';
import { findPkcs11Engine } from '../../src/transport/tokenTlsContext.js';
import { createTestToken, hasSoftHsm } from '../helpers/softhsm.js';
import { hasOpenssl } from '../helpers/tools.js';
import { createTestCa } from '../pki/testCa.js';
import { soapOk } from './helpers/servers.js';
import { createTestPki, type TestPki } from './helpers/testPki.js';

const hasEngine = findPkcs11Engine() !== undefined;
if (!hasEngine) {
  if (process.env.CI === 'true') throw new Error('the OpenSSL pkcs11 engine (libengine-pkcs11-openssl) is required under CI=true');
  console.warn('[skip] libengine-pkcs11-openssl is not installed: the token TLS renegotiation test is skipped');
}

const spkiOf = (raw: Buffer): string => new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describe.skipIf(!hasSoftHsm || !hasOpenssl || !hasEngine)('token key as TLS client key behind a renegotiating front', () => {
  let pki: TestPki;
  let server: Server;
  let url: string;
  const seen: { atFirstHandshake: boolean; afterRenegotiation?: string; protocol: string | null }[] = [];
  let client: { certPem: string; keyPem: string };
  let tokenSpki: string;

  beforeAll(async () => {
    pki = createTestPki();
    const token = createTestToken('renegotiation');
    const session = openToken({ module: token.module, uri: `pkcs11:token=${token.label}`, pin: token.pin });
    const key = await generateTokenKey(session, { algorithm: 'EC', curve: 'P-256' }, 'tls-client');
    const ca = createTestCa();
    const der = ca.issue(await buildCsr({ privateKey: { kind: 'pkcs11', uri: key.uri, publicKey: key.publicKey }, publicKey: key.publicKey, subject: 'CN=token-client' }), ['extendedKeyUsage=clientAuth']);
    client = { certPem: pemEncode('CERTIFICATE', der), keyPem: key.uri };
    tokenSpki = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    server = createServer(
      { cert: pki.server.certPem, key: pki.server.keyPem, requestCert: false, secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const atFirstHandshake = socket.getPeerCertificate()?.raw !== undefined;
        req.resume();
        req.on('end', () => {
          socket.renegotiate({ requestCert: true, rejectUnauthorized: false }, (error) => {
            const raw = socket.getPeerCertificate()?.raw;
            seen.push({ atFirstHandshake, protocol: socket.getProtocol(), ...(raw ? { afterRenegotiation: spkiOf(raw) } : {}) });
            res.writeHead(error || !raw ? 403 : 200, { 'content-type': 'application/soap+xml' });
            res.end(soapOk);
          });
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ces`;
  }, 60_000);
  afterAll(() => {
    server?.close();
    pki?.cleanup();
    closeTokens();
  });

  it('presents the certificate and signs the renegotiation with the token key, for every request and every new client of the process', async () => {
    expect(existsSync(client.keyPem)).toBe(false);
    for (const round of [1, 2]) {
      const http = createHttpsClient({ ca: pki.rootPem, env: {} });
      try {
        for (const attempt of [1, 2]) {
          const response = await http.post(url, '<x/>', { clientCertificate: client });
          expect(response.status, `client ${round}, request ${attempt}`).toBe(200);
        }
      } finally {
        await http.close();
      }
    }
    expect(seen).toHaveLength(4);
    for (const s of seen) expect(s).toMatchObject({ protocol: 'TLSv1.2', afterRenegotiation: tokenSpki });
    // The first request of each client reaches the front on a handshake without a client certificate.
    expect(seen[0]?.atFirstHandshake).toBe(false);
    expect(seen[2]?.atFirstHandshake).toBe(false);
  });
});
