// `autoenroll policy --server URL|PRIORITY`: asks one particular configured policy server (the CLI
// run as a process against the lab, which serves from this process: hence an asynchronous child),
// whatever the usual order would pick.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, cli, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('policy --server', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  let config: string;
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [CLI, '--config', config, 'policy', ...args], { encoding: 'utf8', env: { ...process.env, ...vars }, timeout: 60_000 }, (error, out, err) => {
        resolve({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, out, err });
      });
    });
  const asked = (from: number) => env.lab.requestLog().filter((e) => e.operation === 'GetPolicies').slice(from).map((e) => e.endpoint);
  const count = () => env.lab.requestLog().filter((e) => e.operation === 'GetPolicies').length;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
    config = env.writeConfig('server', [{ id: 'web', template: 'TestInstant' }]);
    expect((await cli(['--config', config, 'enroll'], vars)).code).toBe(0);
  });
  afterAll(async () => env?.close());

  it('asks the server of that URL although a preferred one would answer', async () => {
    const before = count();
    const r = await run(['--json', '--server', env.lab.endpoint(CEP_USERNAME).url]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ source: env.lab.endpoint(CEP_USERNAME).url });
    expect(asked(before)).toEqual([CEP_USERNAME]);
  });

  it('asks the servers of that priority', async () => {
    const before = count();
    const r = await run(['--json', '--server', '1']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ source: env.lab.endpoint(CEP_CERTIFICATE).url });
    expect(asked(before)).toEqual([CEP_CERTIFICATE]);
  });

  it('does not fail over to another server when the chosen one is down (exit 3)', async () => {
    await env.lab.setFault(CEP_USERNAME, { kind: 'refuse' });
    try {
      const before = count();
      const r = await run(['--server', '10']);
      expect(r.code).toBe(3);
      expect(asked(before)).toEqual([]);
    } finally {
      await env.lab.setFault(CEP_USERNAME, null);
    }
  });

  it('refuses a server that is not configured, naming the configured ones (exit 4)', async () => {
    const r = await run(['--server', 'https://cep.example.com/CEP']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('[UNKNOWN_POLICY_SERVER]');
    expect(r.err).toContain(`${env.lab.endpoint(CEP_USERNAME).url} (priority 10)`);
    expect((await run(['--server', '7'])).err).toContain('the policy server of priority 7 is not in');
    expect((await run(['--server', '1', '--file', 'x.xml'])).code).toBe(4);
  });
});
