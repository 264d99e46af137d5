// HTTPS request cost against a local server: a pooled connection (one TLS handshake reused) vs a
// new client, hence a new TCP connection and TLS handshake, for every request.
import { createHttpsClient } from '../src/transport/httpsClient.js';
import { startHttpsServer } from '../test/transport/helpers/servers.js';
import { createTestPki } from '../test/transport/helpers/testPki.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

export async function run(): Promise<BenchResult[]> {
  const pki = createTestPki();
  const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
  const clientCertificate = { certPem: pki.client.certPem, keyPem: pki.client.keyPem };
  const mtls = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.rootPem });
  const body = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>';
  try {
    const pooled = createHttpsClient({ ca: pki.rootPem, env: {} });
    const reused = await sample(() => pooled.post(server.url, body), 200, 10);
    const reusedMtls = await sample(() => pooled.post(mtls.url, body, { clientCertificate }), 200, 10);
    await pooled.close();
    const connectionsBefore = server.connections;
    const fresh = await sample(async () => {
      const once = createHttpsClient({ ca: pki.rootPem, env: {} });
      await once.post(server.url, body);
      await once.close();
    }, 60, 5);
    const freshMtls = await sample(async () => {
      const once = createHttpsClient({ ca: pki.rootPem, env: {} });
      await once.post(mtls.url, body, { clientCertificate });
      await once.close();
    }, 60, 5);
    return [
      { name: 'POST, reused connection (TLS 1.3, no client cert)', medianMs: median(reused), note: `${reused.length} requests` },
      { name: 'POST, new connection each time (TLS 1.3)', medianMs: median(fresh), note: `${server.connections - connectionsBefore} handshakes` },
      { name: 'POST, reused connection (TLS 1.2 + client cert)', medianMs: median(reusedMtls) },
      { name: 'POST, new connection each time (TLS 1.2 + client cert)', medianMs: median(freshMtls) },
    ];
  } finally {
    await Promise.all([server.close(), mtls.close()]);
    pki.cleanup();
  }
}
