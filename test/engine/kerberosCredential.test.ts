// The Kerberos credential of a policy server against a real KDC and the lab: one ticket reused, a
// private cache 0600 in a 0700 folder, and a login again after the ticket vanished.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServerConfig } from '../../src/config/types.js';
import { forgetKerberosTickets, kerberosCredential } from '../../src/engine/kerberosCredential.js';
import { postWith } from '../../src/engine/endpointCredential.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { CEP_KERBEROS } from '../../src/lab/labEndpoints.js';
import { buildGetPoliciesRequest } from '../../src/protocol/xcepRequest.js';
import { createHttpsClient } from '../../src/transport/httpsClient.js';
import { skipKerberosTests, startKdc } from '../helpers/kdc.js';
import type { Kdc } from '../helpers/kdc.js';

const skip = skipKerberosTests();

describe.skipIf(skip)('kerberosCredential', () => {
  let kdc: Kdc;
  let lab: Lab;
  let work: string;
  let server: PolicyServerConfig;
  beforeAll(async () => {
    kdc = await startKdc();
    process.env.KRB5_CONFIG = kdc.krb5Conf;
    work = mkdtempSync(join(tmpdir(), 'autoenroll-kcred-'));
    kdc.addPrincipal('HOST$');
    kdc.addPrincipal('HTTP/127.0.0.1');
    lab = await startLab({ dir: join(work, 'lab'), port: 0, kerberos: { keytab: kdc.keytab(join(work, 'http.keytab'), ['HTTP/127.0.0.1']) } });
    const keytab = kdc.keytab(join(work, 'host.keytab'), ['HOST$']);
    server = { url: lab.endpoint(CEP_KERBEROS).url, auth: 'kerberos', priority: 10, index: 0, kerberos: { credential: { kind: 'keytab', keytab, principal: 'HOST$' }, delegation: false } };
  });
  afterAll(async () => {
    await forgetKerberosTickets();
    await lab?.close();
    await kdc?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reuses one ticket in a private cache, and logs in again when the ticket is gone', async () => {
    const first = await kerberosCredential(server, () => Promise.reject(new Error('no secret needed')));
    const again = await kerberosCredential(server, () => Promise.reject(new Error('no secret needed')));
    if (first.kind !== 'kerberos' || again.kind !== 'kerberos') throw new Error('expected a Kerberos credential');
    expect(again.identity).toBe(first.identity);
    const file = first.identity.ccache!.replace(/^FILE:/, '');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);

    rmSync(join(file, '..'), { recursive: true, force: true });
    const http = createHttpsClient({ ca: lab.trustBundlePem });
    try {
      const body = buildGetPoliciesRequest({ to: server.url, lastUpdate: null });
      const error = await postWith(http, first, server.url, body).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KERBEROS_NO_CREDENTIALS' });
      const fresh = await kerberosCredential(server, () => Promise.reject(new Error('no secret needed')));
      if (fresh.kind !== 'kerberos') throw new Error('expected a Kerberos credential');
      expect(fresh.identity).not.toBe(first.identity);
      expect(fresh.identity.ccache).not.toBe(first.identity.ccache);
      const answer = await postWith(http, fresh, server.url, body);
      expect(answer.status).toBe(200);
    } finally {
      await http.close();
    }
  });
});
