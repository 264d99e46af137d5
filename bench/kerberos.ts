// Kerberos costs against a real MIT KDC on loopback and the lab's Kerberos CEP: loading the
// optional `kerberos` module (process start with and without it), a keytab login (kinit into a
// private cache), and a GetPolicies POST: unauthenticated (answered 401), with the full Negotiate
// exchange on a new connection, and on the connection the server keeps authenticated.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../src/lab/lab.js';
import { CEP_KERBEROS } from '../src/lab/labEndpoints.js';
import { buildGetPoliciesRequest } from '../src/protocol/xcepRequest.js';
import { obtainTicket } from '../src/secrets/kerberosTicket.js';
import { createHttpsClient } from '../src/transport/httpsClient.js';
import { postWithNegotiate } from '../src/transport/negotiate.js';
import type { NegotiateIdentity } from '../src/transport/negotiate.js';
import { kdcUnavailableReason, startKdc } from '../test/helpers/kdc.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

function processStart(script: string, runs: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', script], { stdio: 'ignore' });
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function run(): Promise<BenchResult[]> {
  const unavailable = kdcUnavailableReason();
  if (unavailable !== undefined) {
    console.warn(`[skip] kerberos bench: ${unavailable}`);
    return [];
  }
  const kdc = await startKdc();
  const work = mkdtempSync(join(tmpdir(), 'autoenroll-bench-kerberos-'));
  process.env.KRB5_CONFIG = kdc.krb5Conf;
  kdc.addPrincipal('HOST$');
  kdc.addPrincipal('HTTP/127.0.0.1');
  const httpKeytab = kdc.keytab(join(work, 'http.keytab'), ['HTTP/127.0.0.1']);
  const hostKeytab = kdc.keytab(join(work, 'host.keytab'), ['HOST$']);
  const lab = await startLab({ dir: join(work, 'lab'), port: 0, kerberos: { keytab: httpKeytab } });
  try {
    const requireKerberos = `require(${JSON.stringify(createRequire(import.meta.url).resolve('kerberos'))})`;
    const bare = processStart('', 15);
    const withModule = processStart(requireKerberos, 15);
    const logins = await sample(async () => (await obtainTicket({ kind: 'keytab', keytab: hostKeytab, principal: 'HOST$' })).dispose(), 20, 2);
    const ticket = await obtainTicket({ kind: 'keytab', keytab: hostKeytab, principal: 'HOST$' });
    const url = lab.endpoint(CEP_KERBEROS).url;
    const body = buildGetPoliciesRequest({ to: url, lastUpdate: null });
    const identity = (): NegotiateIdentity => ({ ccache: ticket.ccache, principal: 'HOST$', delegation: false, group: `bench${Math.random()}`, authenticated: new Map() });
    const unauthenticated = await sample(async () => {
      const http = createHttpsClient({ ca: lab.trustBundlePem, env: {} });
      await http.post(url, body, { acceptStatus: [401] });
      await http.close();
    }, 40, 3);
    const fresh = await sample(async () => {
      const http = createHttpsClient({ ca: lab.trustBundlePem, env: {} });
      await postWithNegotiate(http, url, body, {}, identity());
      await http.close();
    }, 40, 3);
    const pooled = createHttpsClient({ ca: lab.trustBundlePem, env: {} });
    const kept = identity();
    const reusedUnauth = await sample(() => pooled.post(url, body, { acceptStatus: [401] }), 100, 5);
    const user = lab.users[0] as { username: string; password: string };
    const usernameUrl = lab.endpoint('ADPolicyProvider_CEP_UsernamePassword').url;
    const usernameBody = buildGetPoliciesRequest({ to: usernameUrl, lastUpdate: null, usernameToken: { username: user.username, password: user.password } });
    const reusedUsername = await sample(() => pooled.post(usernameUrl, usernameBody), 100, 5);
    const freshUsername = await sample(async () => {
      const http = createHttpsClient({ ca: lab.trustBundlePem, env: {} });
      await http.post(usernameUrl, usernameBody);
      await http.close();
    }, 40, 3);
    const reused = await sample(() => postWithNegotiate(pooled, url, body, {}, kept), 100, 5);
    await pooled.close();
    ticket.dispose();
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    return [
      { name: 'node start without / with require("kerberos")', medianMs: median(withModule) - median(bare), note: `${median(bare).toFixed(1)} → ${median(withModule).toFixed(1)} ms per process` },
      { name: 'keytab login (kinit -k into a private cache)', medianMs: median(logins) },
      { name: 'POST new connection, unauthenticated (401)', medianMs: median(unauthenticated) },
      { name: 'POST new connection, username CEP GetPolicies', medianMs: median(freshUsername) },
      { name: 'POST new connection, Negotiate exchange + mutual auth', medianMs: median(fresh), note: `${ratio(fresh, unauthenticated)}× the 401, ${ratio(fresh, freshUsername)}× username` },
      { name: 'POST reused connection, unauthenticated (401)', medianMs: median(reusedUnauth) },
      { name: 'POST reused connection, username CEP GetPolicies', medianMs: median(reusedUsername) },
      { name: 'POST reused connection, Persistent-Auth (no new exchange)', medianMs: median(reused), note: `${ratio(reused, reusedUsername)}× username` },
    ];
  } finally {
    await lab.close();
    await kdc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
