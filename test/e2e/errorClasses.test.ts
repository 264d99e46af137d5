// One test per error class, against lab fault modes: what the exit code says must match what a
// script or the service should do next (cli.md): 3 = transient (retry, fail over), 4 = the
// configuration or the server set-up must change, 7 = expired and nothing left to try.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, TEST_TEMPLATES, passResult } from './agentLab.js';

const CES_USERNAME = 'LAB-ISSUING-CA_CES_UsernamePassword';
const CES_CERTIFICATE = 'LAB-ISSUING-CA_CES_Certificate';
const CES_CERTIFICATE_2 = 'LAB-ISSUING-CA_CES_Certificate#2';

interface StatusJson {
  id: string;
  state: string;
  lastError: { code: string; message: string } | null;
}

describe.skipIf(!hasOpenssl)('error classes against lab faults', () => {
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let username: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ae-errclass-'));
    // Two certificate CES: the preferred one (priority 1) gets the faults, the other (2) is the failover.
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, cas: [{ name: 'LAB-ISSUING-CA', certificateCes: [{ priority: 1 }, { priority: 2, port: 0 }] }] });
    username = lab.users[0]!.username;
    env = { ...process.env, LAB_PASSWORD: lab.users[0]!.password, AUTOENROLL_CONFIG: '' };
  });
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function cli(argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
    const context = captureContext({ env: { ...env, ...extraEnv } });
    const code = await runCli(argv, context);
    return { code, out: context.out(), err: context.err() };
  }

  function writeConfig(name: string, template: string, options: { cepPath?: string; tls13?: boolean; credentials?: boolean } = {}): string {
    const dir = join(work, name);
    const servers: unknown[] = [{ url: lab.endpoint(CEP_CERTIFICATE).url + (options.cepPath ?? ''), auth: 'certificate', priority: 1 }];
    if (options.credentials !== false) servers.push({ url: lab.endpoint(CEP_USERNAME).url + (options.cepPath ?? ''), auth: 'username', priority: 10, username, password: { env: 'LAB_PASSWORD' } });
    const config = {
      stateDir: './state',
      trust: { caFile: lab.trustBundlePath },
      policyServers: servers,
      certificates: [{ id: name, template, subject: `CN=${name}.lab.test`, dns: [`${name}.lab.test`], key: { algorithm: 'EC', curve: 'P-256' }, output: { cert: './out/cert.pem', key: './out/key.pem' } }],
      transport: { connectTimeout: '5s', requestTimeout: '10s', ...(options.tls13 ? { maxTlsVersionForClientCert: 'TLSv1.3' } : {}) },
    };
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.yaml');
    writeFileSync(file, stringify(config));
    return file;
  }

  async function statusOf(config: string): Promise<StatusJson> {
    const status = await cli(['--config', config, '--json', 'status']);
    return (JSON.parse(status.out) as StatusJson[])[0]!;
  }

  /** Enrolled with credentials, then configured without them: a renewal can only go key-based. */
  async function enrolled(name: string, options: { tls13?: boolean } = {}): Promise<string> {
    const config = writeConfig(name, 'TestInstant', options);
    const first = await cli(['--config', config, 'enroll']);
    expect(first.code, first.err + first.out).toBe(0);
    return writeConfig(name, 'TestInstant', { ...options, credentials: false });
  }

  async function withFault<T>(names: string[], fault: Parameters<Lab['setFault']>[1], body: () => Promise<T>): Promise<T> {
    for (const name of names) await lab.setFault(name, fault);
    try {
      return await body();
    } finally {
      for (const name of names) await lab.setFault(name, null);
    }
  }

  it('HTTP 404 on a configured policy URL → exit 4 naming the URL and the expected path; status keeps the policy failure', async () => {
    const config = writeConfig('notfound', 'TestInstant', { cepPath: 'x' });
    const run = await cli(['--config', config, '--json', 'enroll']);
    expect(run.code, run.err + run.out).toBe(4);
    expect(run.out + run.err).toContain('HTTP_NOT_FOUND');
    expect(run.out + run.err).toContain(`${lab.endpoint(CEP_USERNAME).url}x`);
    expect(run.out + run.err).toContain('/service.svc/CEP');
    const status = await statusOf(config);
    expect(status.lastError?.code).toBe('HTTP_NOT_FOUND');
    expect(status.lastError?.message).toContain('service.svc');
  });

  it('HTTP 404 at the enrollment service (notFound fault) → exit 4', async () => {
    const config = writeConfig('notfound-ces', 'TestInstant');
    const run = await withFault([CES_USERNAME], { kind: 'notFound' }, () => cli(['--config', config, '--json', 'enroll']));
    expect(run.code, run.err + run.out).toBe(4);
    expect(passResult(run.out).certificates[0]!.error?.code).toBe('HTTP_NOT_FOUND');
    expect((await statusOf(config)).lastError?.code).toBe('HTTP_NOT_FOUND');
  });

  it('a reset after the TLS handshake on a certificate endpoint is transient: failover renews; with no other endpoint, exit 3', async () => {
    const config = await enrolled('reset');
    const failedOver = await withFault([CES_CERTIFICATE], { kind: 'resetAfterHandshake' }, () => cli(['--config', config, '--json', 'renew', '--force']));
    expect(failedOver.code, failedOver.err + failedOver.out).toBe(0);
    expect(lab.requestLog().some((e) => e.endpoint === CES_CERTIFICATE && e.outcome === 'injected:resetAfterHandshake')).toBe(true);
    const both = await withFault([CES_CERTIFICATE, CES_CERTIFICATE_2, CES_USERNAME], { kind: 'resetAfterHandshake' }, () => cli(['--config', config, '--json', 'renew', '--force']));
    expect(both.code, both.err + both.out).toBe(3);
    const error = passResult(both.out).certificates[0]!.error!;
    expect(error.code).toBe('CONNECTION_RESET');
    expect(JSON.stringify(error)).not.toContain('TLS_CLIENT_CERT_REJECTED');
    expect((await statusOf(config)).lastError?.code).toBe('CONNECTION_RESET');
  });

  it('HTTP 413 on a certificate endpoint (uploadReadAhead) → exit 4, explained with the request size', async () => {
    const config = await enrolled('upload');
    const run = await withFault([CES_CERTIFICATE, CES_CERTIFICATE_2], { kind: 'uploadReadAhead', limitBytes: 1000 }, () => cli(['--config', config, '--json', 'renew', '--force']));
    expect(run.code, run.err + run.out).toBe(4);
    const error = passResult(run.out).certificates[0]!.error!;
    expect(error.code).toBe('REQUEST_TOO_LARGE_FOR_RENEGOTIATION');
    expect(error.message).toMatch(/uploadReadAheadSize \(49152 bytes/);
    expect(error.message).toMatch(/this \d+-byte request/);
  });

  for (const mode of ['http500', 'reset'] as const) {
    it(`${mode === 'http500' ? 'HTTP 500' : 'a reset'} over TLS 1.3 on a certificate endpoint → exit 4, explained (keep TLS 1.2)`, async () => {
      const config = await enrolled(`tls13-${mode}`, { tls13: true });
      const run = await withFault([CES_CERTIFICATE, CES_CERTIFICATE_2], { kind: 'tls13ClientCert', mode }, () => cli(['--config', config, '--json', 'renew', '--force']));
      expect(run.code, run.err + run.out).toBe(4);
      const error = passResult(run.out).certificates[0]!.error!;
      expect(error.code).toBe('TLS13_CLIENT_CERT_UNSUPPORTED');
      expect(error.message).toContain('keep the TLS 1.2 default');
    });
  }

  it('a Kerberos-only template → exit 4 naming Kerberos; plan and doctor list the URI as skipped, never probed', async () => {
    const config = writeConfig('kerberos', 'TestInstant');
    await withFault([CEP_CERTIFICATE, CEP_USERNAME], { kind: 'kerberosOnly' }, async () => {
      const run = await cli(['--config', config, '--json', '--verbose', 'enroll']);
      expect(run.code, run.err + run.out).toBe(4);
      const error = passResult(run.out).certificates[0]!.error!;
      expect(error.code, run.out).toBe('KERBEROS_ONLY');
      expect(error.message).toContain('Kerberos');
      expect(run.err).toContain('skipped: Kerberos not configured/available');
      const plan = await cli(['--config', config, 'plan']);
      expect(plan.code).toBe(0);
      expect(plan.out).toMatch(/_CES_Kerberos\/service\.svc\/CES skipped: Kerberos not configured\/available/);
      const doctor = await cli(['--config', config, '--json', 'doctor']);
      const report = JSON.parse(doctor.out) as { endpoints: Array<{ url: string; auth: string; checks: Array<{ status: string; detail?: string; message?: string }> }> };
      const kerberos = report.endpoints.filter((e) => e.auth === 'kerberos');
      expect(kerberos.length).toBeGreaterThan(0);
      for (const endpoint of kerberos) for (const check of endpoint.checks) expect(check.status).toBe('skip');
      expect(JSON.stringify(kerberos)).toContain('skipped: Kerberos not configured/available');
    });
  });

  it('an expired certificate with no credentials and no cached policy → EXPIRED, exit 7', async () => {
    // The first enrollment needs credentials; then they are dropped from the config.
    const withCredentials = writeConfig('expired', 'TestShort');
    const first = await cli(['--config', withCredentials, 'enroll']);
    expect(first.code, first.err).toBe(0);
    const config = writeConfig('expired', 'TestShort', { credentials: false });
    const policyCache = join(dirname(config), 'state', 'policy');
    expect(existsSync(policyCache)).toBe(true);
    rmSync(policyCache, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    const run = await withFault([CEP_CERTIFICATE, CEP_USERNAME], { kind: 'refuse' }, () => cli(['--config', config, '--json', 'renew']));
    expect(run.code, run.err + run.out).toBe(7);
    expect(passResult(run.out).certificates[0]!.status).toBe('EXPIRED');
    expect((await statusOf(config)).state).toBe('EXPIRED');
  }, 30_000);
});
