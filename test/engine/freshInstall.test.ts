// `plan` and `status` agree on a fresh install: a configured certificate with no certificate, no
// pending request and no policy yet is NEW (the next pass fetches the policy, then enrolls); only
// after a pass failed to get a policy is it NEEDS_ATTENTION — and again both say so.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../src/cli/commands/plan.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, cli, readJson, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('a fresh install in plan and status', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
  });
  afterAll(async () => env?.close());

  const both = async (config: string): Promise<{ status: StatusRow; plan: PlanDocument['certificates'][number] }> => {
    const status = await cli(['--config', config, '--json', 'status'], vars);
    const plan = await cli(['--config', config, '--json', 'plan'], vars);
    expect(status.code, status.err).toBe(0);
    expect(plan.code, plan.err).toBe(0);
    return { status: (JSON.parse(status.out) as StatusRow[])[0]!, plan: (JSON.parse(plan.out) as PlanDocument).certificates[0]! };
  };

  it('NEW before any pass; NEEDS_ATTENTION after a pass that got no policy; VALID after one that did', async () => {
    const config = env.writeConfig('fresh', [{ id: 'web', template: 'TestInstant' }]);
    const attempts = join(dirname(config), 'state', 'policy-attempts.json');

    const fresh = await both(config);
    expect(fresh.status).toMatchObject({ state: 'NEW', next: 'enroll/no-certificate', message: expect.stringContaining('the next pass fetches it, then enrolls') });
    expect(fresh.plan).toMatchObject({ state: 'NEW', action: 'enroll', reason: 'no-certificate', targetTemplate: 'TestInstant' });

    // Every policy server down: the pass fails as unreachable and remembers that it tried.
    await env.lab.setFault(CEP_USERNAME, { kind: 'refuse' });
    await env.lab.setFault(CEP_CERTIFICATE, { kind: 'refuse' });
    try {
      const pass = await cli(['--config', config, '--json', 'enroll'], vars);
      expect(pass.code, pass.err).toBe(3);
      expect((JSON.parse(pass.out) as PassResult).certificates[0]).toMatchObject({ status: 'NEEDS_ATTENTION', planned: 'needs-attention/no-policy' });
    } finally {
      await env.lab.setFault(CEP_USERNAME, null);
      await env.lab.setFault(CEP_CERTIFICATE, null);
    }
    expect(readJson<{ consecutiveFailures: number }>(attempts).consecutiveFailures).toBe(1);
    const failed = await both(config);
    expect(failed.status).toMatchObject({ state: 'NEEDS_ATTENTION', next: 'needs-attention/no-policy' });
    expect(failed.plan).toMatchObject({ state: 'NEEDS_ATTENTION', action: 'needs-attention', reason: 'no-policy' });

    const enrolled = await cli(['--config', config, 'enroll'], vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    expect(existsSync(attempts)).toBe(false);
    const valid = await both(config);
    expect(valid.status.state).toBe('VALID');
    expect(valid.plan.state).toBe('VALID');
  });
});
