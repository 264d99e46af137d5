// `autoenroll doctor` against the lab: every policy server and every enrollment URI of the policy
// checked step by step; an endpoint that refuses connections is reported failing with its cause
// and fix, the others healthy, as text and as the same data with --json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { DoctorReport, EndpointReport } from '../../src/engine/doctorTypes.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { cli, CEP_CERTIFICATE, CEP_USERNAME, CES_CERTIFICATE, CES_USERNAME, TEST_TEMPLATES } from '../e2e/agentLab.js';

const SECOND_CES = `${CES_USERNAME}#2`;

describe('autoenroll doctor', () => {
  let lab: Lab;
  let work: string;
  let password: string;
  const writeConfig = (name: string, overrides: Record<string, unknown> = {}): string => {
    const user = lab.users[0]!;
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: [{ id: 'web', template: 'TestInstant', subject: 'CN=web.lab.test', key: { algorithm: 'EC', curve: 'P-256' } }],
        transport: { connectTimeout: '3s', requestTimeout: '5s' },
        ...overrides,
      }),
    );
    return file;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-doctor-'));
    // Two username CES instances of the CA; the second has its own listener, so "refuse" closes a real port.
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, cas: [{ name: 'LAB-ISSUING-CA', usernameCes: [{}, { port: 0, priority: 1 }] }] });
    password = lab.users[0]!.password;
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const byUrl = (report: DoctorReport, name: string): EndpointReport => {
    const found = report.endpoints.find((e) => e.url === lab.endpoint(name).url);
    if (!found) throw new Error(`no report for ${name}`);
    return found;
  };
  const status = (endpoint: EndpointReport) => Object.fromEntries(endpoint.checks.map((c) => [c.name, c.status]));

  it('with everything up: exit 0, every endpoint checked and healthy', async () => {
    const result = await cli(['--config', writeConfig('healthy'), '--json', 'doctor'], { LAB_PASSWORD: password });
    expect(result.code, result.out + result.err).toBe(0);
    const report = JSON.parse(result.out) as DoctorReport;
    expect(report).toMatchObject({ ok: true, exitCode: 0 });
    expect(report.endpoints.map((e) => e.role)).toEqual(['policy', 'policy', 'enrollment', 'enrollment', 'enrollment']);
    expect(status(byUrl(report, CEP_USERNAME))).toEqual({ dns: 'ok', tcp: 'ok', tls: 'ok', clock: 'ok', auth: 'ok', policy: 'ok' });
    expect(byUrl(report, CEP_USERNAME).checks.find((c) => c.name === 'policy')?.detail).toMatch(/GetPolicies: policy \S+, 4 templates, 1 CAs, 3 enrollment URIs/);
    // No managed certificate yet: the certificate endpoints are reached, their credential check waits.
    expect(status(byUrl(report, CEP_CERTIFICATE))).toMatchObject({ dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'skip', policy: 'skip' });
    expect(byUrl(report, CEP_CERTIFICATE).healthy).toBe(true);
    expect(status(byUrl(report, CES_USERNAME))).toEqual({ dns: 'ok', tcp: 'ok', tls: 'ok', clock: 'ok', auth: 'ok', enrollment: 'ok' });
    expect(byUrl(report, CES_CERTIFICATE)).toMatchObject({ healthy: true, renewalOnly: true, auth: 'certificate', ca: expect.stringContaining('LAB-ISSUING-CA') });
    expect(report.general).toEqual([expect.objectContaining({ code: 'NO_CLIENT_CERTIFICATE', status: 'skip' })]);
    // The status query used to check a CES creates nothing on the CA.
    expect(lab.requestLog().filter((e) => e.operation === 'Issue')).toEqual([]);
  });

  it('with one CES refusing connections: that endpoint fails with cause and fix, the rest healthy, exit 3', async () => {
    await lab.setFault(SECOND_CES, { kind: 'refuse' });
    try {
      const config = writeConfig('one-down');
      const json = await cli(['--config', config, '--json', 'doctor'], { LAB_PASSWORD: password });
      expect(json.code).toBe(3);
      const report = JSON.parse(json.out) as DoctorReport;
      const down = byUrl(report, SECOND_CES);
      expect(down).toMatchObject({ healthy: false, problem: { check: 'tcp', code: 'CONNECTION_REFUSED', cause: expect.stringContaining('connection refused'), fix: expect.stringMatching(/start the CEP\/CES web site/) } });
      expect(status(down)).toMatchObject({ dns: 'ok', tcp: 'fail', tls: 'skip' });
      for (const healthy of report.endpoints.filter((e) => e !== down)) expect(healthy.healthy, healthy.url).toBe(true);
      expect(report.summary).toEqual({ endpoints: 5, healthy: 4, failing: 1, warnings: 0 });

      const text = await cli(['--config', config, 'doctor'], { LAB_PASSWORD: password });
      expect(text.code).toBe(3);
      const block = text.out.split('\n[').find((b) => b.includes(lab.endpoint(SECOND_CES).url))!;
      expect(block).toMatch(/^FAIL\]/);
      expect(block).toMatch(/tcp\s+FAIL\s+.*connection refused/);
      expect(block).toMatch(/cause: .*connection refused/);
      expect(block).toMatch(/fix:\s+start the CEP\/CES web site/);
      expect(text.out.match(/\[ OK \]/g)).toHaveLength(4);
      expect(text.out).toContain('4 of 5 endpoints healthy, 1 failing, 0 warnings: some endpoints are unreachable');
    } finally {
      await lab.setFault(SECOND_CES, null);
    }
  });

  it('a wrong password is a credential problem (exit 4) at the username endpoints only', async () => {
    const result = await cli(['--config', writeConfig('bad-password'), '--json', 'doctor'], { LAB_PASSWORD: 'wrong' });
    expect(result.code).toBe(4);
    const report = JSON.parse(result.out) as DoctorReport;
    expect(byUrl(report, CEP_USERNAME).problem).toMatchObject({ check: 'auth', code: 'SERVER_REJECTED_CREDENTIALS' });
    expect(byUrl(report, CEP_CERTIFICATE).healthy).toBe(true);
  });

  it('a server certificate from an untrusted CA is a trust problem (exit 4) naming the certificate', async () => {
    const other = mkdtempSync(join(tmpdir(), 'autoenroll-doctor-ca-'));
    const foreign = await startLab({ dir: other, port: 0 });
    try {
      const config = writeConfig('untrusted', { trust: { caFile: foreign.trustBundlePath } });
      const result = await cli(['--config', config, '--json', 'doctor'], { LAB_PASSWORD: password });
      expect(result.code).toBe(4);
      const report = JSON.parse(result.out) as DoctorReport;
      expect(byUrl(report, CEP_USERNAME).problem).toMatchObject({ check: 'tls', code: 'TLS_UNKNOWN_ISSUER', fix: expect.stringContaining('trust.caFile') });
      expect(report.endpoints.every((e) => !e.healthy)).toBe(true);
    } finally {
      await foreign.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
