// What users get wrong, caught with the nearest right name: a mistyped template (doctor, enroll), a
// mistyped certificate id; and the IIS causes doctor and enroll name for client-certificate
// endpoints (TLS 1.3, HTTP 413). The built CLI runs as a child process against the lab, which
// serves from this process (hence an asynchronous child).
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/engine/doctorTypes.js';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { CES_USERNAME, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

describe('doctor, enroll and --id catch typos and name IIS causes', () => {
  let env: AgentLab;
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LAB_PASSWORD: env.password }, timeout: 90_000 }, (error, out, err) => {
        resolve({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, out, err });
      });
    });
  beforeAll(async () => {
    env = await startAgentLab();
  });
  afterAll(async () => env?.close());

  it('doctor reports a template the policy does not offer, with the nearest names (exit 4)', async () => {
    const config = env.writeConfig('typo', [
      { id: 'web', template: 'TestInstnat' },
      { id: 'ok', template: 'TestInstant' },
    ]);
    const json = await run(['--config', config, '--json', 'doctor']);
    expect(json.code, json.err).toBe(4);
    const report = JSON.parse(json.out) as DoctorReport;
    const findings = report.general.filter((g) => g.code === 'TEMPLATE_NOT_IN_POLICY');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/^certificate "web": template "TestInstnat" is not offered by the policy \(did you mean "TestInstant"\?\); offered: .*TestInstant/);
    const text = await run(['--config', config, 'doctor']);
    expect(text.out).toContain('[FAIL] certificate "web": template "TestInstnat" is not offered by the policy (did you mean "TestInstant"?)');
  });

  it('enroll names the nearest template too', async () => {
    const config = env.writeConfig('typo-enroll', [{ id: 'web', template: 'TestInstnat' }]);
    const r = await run(['--config', config, 'enroll']);
    expect(r.code).toBe(4);
    expect(`${r.out}${r.err}`).toContain('template "TestInstnat" is not in the enrollment policy (did you mean "TestInstant"?)');
  });

  it('an unknown --id names the nearest configured one', async () => {
    const config = env.writeConfig('ids', [{ id: 'web', template: 'TestInstant' }, { id: 'mail', template: 'TestInstant' }]);
    for (const command of ['status', 'plan', 'enroll']) {
      const r = await run(['--config', config, command, '--id', 'wbe']);
      expect(r.code, command).toBe(4);
      expect(r.err, command).toContain('no certificate with id "wbe"');
      expect(r.err, command).toContain('(did you mean "web"?) (known: web, mail)');
    }
  });

  it('an HTTP 413 from the enrollment service names uploadReadAheadSize and client-certificate negotiation', async () => {
    const config = env.writeConfig('too-large', [{ id: 'web', template: 'TestInstant' }]);
    await env.lab.setFault(CES_USERNAME, { kind: 'http413' });
    try {
      const r = await run(['--config', config, 'enroll']);
      expect(r.code).toBe(3);
      // One result line carries it (no log line repeats it).
      expect(r.err).toBe('');
      expect(r.out).toContain('HTTP 413');
      expect(r.out).toContain('uploadReadAheadSize');
      expect(r.out).toContain('clientcertnegotiation=enable');
    } finally {
      await env.lab.setFault(CES_USERNAME, null);
    }
  });
});
