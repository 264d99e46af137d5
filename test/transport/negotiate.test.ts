// HTTP Negotiate against the lab's Kerberos CEP, with tickets from a real MIT KDC on loopback: the
// 401 → token → mutual authentication exchange, the authenticated connection reused, and the
// refusals (Extended Protection, an unregistered service principal, a server that cannot prove its identity).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { CEP_KERBEROS } from '../../src/lab/labEndpoints.js';
import { buildGetPoliciesRequest } from '../../src/protocol/xcepRequest.js';
import { createHttpsClient } from '../../src/transport/httpsClient.js';
import { negotiateOffer, postWithNegotiate } from '../../src/transport/negotiate.js';
import type { NegotiateIdentity } from '../../src/transport/negotiate.js';
import { skipKerberosTests, startKdc } from '../helpers/kdc.js';
import type { Kdc } from '../helpers/kdc.js';

const skip = skipKerberosTests();

describe('Negotiate header parsing', () => {
  it('finds Negotiate in one header or beside NTLM, with or without a token', () => {
    expect(negotiateOffer('Negotiate, NTLM')).toEqual({ offered: true });
    expect(negotiateOffer('NTLM, Negotiate')).toEqual({ offered: true });
    expect(negotiateOffer('Negotiate oYGZMIGWoAMKAQChCwYJKoZIgvcSAQICooGBBH8=')).toEqual({ offered: true, token: 'oYGZMIGWoAMKAQChCwYJKoZIgvcSAQICooGBBH8=' });
    expect(negotiateOffer('NTLM')).toEqual({ offered: false });
    expect(negotiateOffer('Basic realm="x"')).toEqual({ offered: false });
    expect(negotiateOffer(undefined)).toEqual({ offered: false });
  });
});

describe.skipIf(skip)('Negotiate against the lab and a real KDC', () => {
  let kdc: Kdc;
  let lab: Lab;
  let epaLab: Lab;
  let impostorLab: Lab;
  let work: string;
  let ccache: string;
  const identity = (extra: Partial<NegotiateIdentity> = {}): NegotiateIdentity => ({ ccache, delegation: false, group: `g${Math.random()}`, authenticated: new Map(), ...extra });

  beforeAll(async () => {
    kdc = await startKdc();
    process.env.KRB5_CONFIG = kdc.krb5Conf;
    work = mkdtempSync(join(tmpdir(), 'autoenroll-negotiate-'));
    kdc.addPrincipal('HOST$');
    kdc.addPrincipal('HTTP/127.0.0.1');
    const httpKeytab = kdc.keytab(join(work, 'http.keytab'), ['HTTP/127.0.0.1']);
    const hostKeytab = kdc.keytab(join(work, 'host.keytab'), ['HOST$']);
    ccache = `FILE:${join(work, 'ccache')}`;
    const kinit = spawnSync('kinit', ['-k', '-t', hostKeytab, 'HOST$'], { env: { ...kdc.env, KRB5CCNAME: ccache, PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(kinit.stderr).toBe('');
    lab = await startLab({ dir: join(work, 'lab'), port: 0, kerberos: { keytab: httpKeytab } });
    epaLab = await startLab({ dir: join(work, 'lab-epa'), port: 0, kerberos: { keytab: httpKeytab, requireChannelBinding: true } });
    impostorLab = await startLab({ dir: join(work, 'lab-impostor'), port: 0, kerberos: { keytab: httpKeytab, impostor: true } });
  });
  afterAll(async () => {
    await lab?.close();
    await epaLab?.close();
    await impostorLab?.close();
    await kdc?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const policyRequest = (url: string) => buildGetPoliciesRequest({ to: url, lastUpdate: null, now: new Date() } as Parameters<typeof buildGetPoliciesRequest>[0]);

  it('answers the 401 with a Kerberos token, checks the server token, and reuses the authenticated connection', async () => {
    const http = createHttpsClient({ ca: lab.trustBundlePem });
    const url = lab.endpoint(CEP_KERBEROS).url;
    const id = identity();
    try {
      const first = await postWithNegotiate(http, url, policyRequest(url), {}, id);
      expect(first.status).toBe(200);
      expect(first.body).toContain('GetPoliciesResponse');
      const second = await postWithNegotiate(http, url, policyRequest(url), {}, id);
      expect(second.status).toBe(200);
      expect(second.connection).toBe(first.connection);
    } finally {
      await http.close();
    }
    const log = lab.requestLog().filter((entry) => entry.endpoint === CEP_KERBEROS);
    // one 401, then the authenticated request, then the second request on the same connection without a new exchange
    expect(log.map((entry) => entry.outcome)).toEqual(['http:401', 'policy', 'policy']);
    expect(log[1]?.auth).toBe('kerberos:HOST$@LAB.TEST');
  });

  it('names Extended Protection when a server that requires channel binding refuses the ticket', async () => {
    const http = createHttpsClient({ ca: epaLab.trustBundlePem });
    const url = epaLab.endpoint(CEP_KERBEROS).url;
    try {
      const error = await postWithNegotiate(http, url, policyRequest(url), {}, identity()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KERBEROS_REJECTED', exitCode: 4 });
      expect((error as Error).message).toMatch(/Extended Protection for Authentication/);
      expect((error as Error).message).toMatch(/Advanced Settings/);
    } finally {
      await http.close();
    }
  });

  it('reports an unregistered service principal as KERBEROS_SPN_UNKNOWN', async () => {
    const http = createHttpsClient({ ca: lab.trustBundlePem });
    const url = lab.endpoint(CEP_KERBEROS).url;
    try {
      const error = await postWithNegotiate(http, url, policyRequest(url), {}, identity({ servicePrincipal: 'HTTP/ces.wrong.example' })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KERBEROS_SPN_UNKNOWN', exitCode: 4 });
      expect((error as Error).message).toMatch(/setspn/);
    } finally {
      await http.close();
    }
  });

  it('refuses the answer of a server that does not prove its identity (no final Negotiate token)', async () => {
    const http = createHttpsClient({ ca: impostorLab.trustBundlePem });
    const url = impostorLab.endpoint(CEP_KERBEROS).url;
    try {
      const error = await postWithNegotiate(http, url, policyRequest(url), {}, identity()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KERBEROS_MUTUAL_AUTH_FAILED', exitCode: 4 });
      expect((error as Error).message).toMatch(/did not authenticate itself/);
    } finally {
      await http.close();
    }
  });
});
