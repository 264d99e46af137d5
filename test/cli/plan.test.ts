// `autoenroll plan [--at TIME]`: the service's next step per certificate at a chosen instant,
// from stored state and the cached policy, without network and without changing anything.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAt } from '../../src/cli/commands/plan.js';
import type { PlanDocument } from '../../src/cli/commands/plan.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import { UsageError } from '../../src/errors.js';
import { cli, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('--at TIME', () => {
  it('accepts ISO 8601 instants and dates', () => {
    expect(parseAt('2026-06-01T00:00:00Z', NOW)).toBe(Date.parse('2026-06-01T00:00:00Z'));
    expect(parseAt('2026-06-01', NOW)).toBe(Date.parse('2026-06-01'));
  });
  it('accepts durations relative to now', () => {
    expect(parseAt('+30d', NOW)).toBe(NOW + 30 * 86_400_000);
    expect(parseAt('+2h', NOW)).toBe(NOW + 7_200_000);
    expect(parseAt('+1h30m', NOW)).toBe(NOW + 5_400_000);
    expect(parseAt('-1d', NOW)).toBe(NOW - 86_400_000);
  });
  it('refuses anything else with a usage error', () => {
    for (const bad of ['tomorrow', '30d', '+30', '+', '2026-13-45T99:00:00Z', '']) expect(() => parseAt(bad, NOW)).toThrow(UsageError);
  });
});

describe('autoenroll plan', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  let config: string;
  let web: StatusRow;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
    config = env.writeConfig('plan', [
      { id: 'web', template: 'TestInstant' },
      { id: 'fresh', template: 'TestInstant' },
    ]);
    expect((await cli(['--config', config, 'enroll', '--id', 'web'], vars)).code).toBe(0);
    web = (JSON.parse((await cli(['--config', config, '--json', 'status', '--id', 'web'], vars)).out) as StatusRow[])[0]!;
  });
  afterAll(async () => env?.close());

  const planAt = async (at?: string): Promise<PlanDocument> => {
    const result = await cli(['--config', config, '--json', 'plan', ...(at !== undefined ? ['--at', at] : [])], vars);
    expect(result.code, result.err).toBe(0);
    return JSON.parse(result.out) as PlanDocument;
  };

  it('now: waits for the renewal slot that status shows, and enrolls the new one', async () => {
    const doc = await planAt();
    expect(doc.simulated).toBe(false);
    expect(doc.certificates).toEqual([
      expect.objectContaining({ id: 'web', state: 'VALID', action: 'wait', reason: 'before-renewal', when: web.renewAt, renewAt: web.renewAt, notAfter: web.notAfter }),
      expect.objectContaining({ id: 'fresh', state: 'NEW', action: 'enroll', reason: 'no-certificate', targetTemplate: 'TestInstant' }),
    ]);
  });

  it('before the window it is VALID; inside it waits for its slot; at the slot it renews key-based', async () => {
    const slot = Date.parse(web.renewAt!);
    const now = await planAt();
    const windowStart = Date.parse(now.certificates[0]!.windowStart!);
    expect(windowStart).toBeLessThanOrEqual(slot);
    const early = await planAt(new Date(windowStart - 1000).toISOString());
    expect(early.certificates[0]).toMatchObject({ action: 'wait', reason: 'before-renewal', state: 'VALID', when: web.renewAt });
    const before = await planAt(new Date(slot - 1000).toISOString());
    expect(before.certificates[0]).toMatchObject({ action: 'wait', reason: 'before-renewal', when: web.renewAt });
    const at = await planAt(new Date(slot).toISOString());
    expect(at.simulated).toBe(true);
    expect(at.certificates[0]).toMatchObject({ state: 'RENEW_DUE', action: 'renew', reason: 'in-window', reuseKey: false, when: new Date(slot).toISOString() });
  });

  it('after expiry it re-enrolls with the configured credentials', async () => {
    const doc = await planAt('+2h');
    expect(doc.certificates[0]).toMatchObject({ state: 'EXPIRED', action: 're-enroll', reason: 'expired' });
  });

  it('prints a readable plan that says what and when', async () => {
    const result = await cli(['--config', config, 'plan', '--id', 'web'], vars);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Plan now, \S+Z; policy refresh/);
    expect(result.out).toMatch(/web\s+VALID\s+wait\/before-renewal\s+\S+Z \(in \d+m/);
    expect(result.out).toMatch(/web: nothing until \S+Z \(in \d+m[^)]*\): the renewal window is not open yet/);
    expect(result.out).not.toMatch(/^fresh\s/m);
  });

  it('changes nothing on disk', async () => {
    const dir = join(dirname(config), 'state/certs/web');
    const snapshot = () => readdirSync(dir).map((name) => [name, name.endsWith('.json') ? readFileSync(join(dir, name), 'utf8') : '']);
    const before = snapshot();
    await planAt('+1h');
    expect(snapshot()).toEqual(before);
  });

  it('refuses a bad --at with exit 4', async () => {
    const result = await cli(['--config', config, 'plan', '--at', 'soon'], vars);
    expect(result.code).toBe(4);
    expect(result.err).toContain('--at');
  });
});
