// `autoenroll status --check`: the exit code of the worst state, for monitoring (cli.md), with the
// built CLI run as a process against certificates really enrolled from the lab.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStatus } from '../../src/engine/statusCheck.js';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { cli, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

describe('status --check', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  let config: string;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, '--config', config, 'status', '--check', ...args], { encoding: 'utf8', env: { ...process.env, ...vars }, timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
    config = env.writeConfig('check', [
      { id: 'web', template: 'TestInstant' },
      { id: 'held', template: 'TestPending' },
      { id: 'later', template: 'TestInstant' },
      { id: 'typo', template: 'TestInstnat' },
    ]);
    expect((await cli(['--config', config, 'enroll', '--id', 'web'], vars)).code).toBe(0);
    expect((await cli(['--config', config, 'enroll', '--id', 'held'], vars)).code).toBe(5);
  });
  afterAll(async () => env?.close());

  it('exits 0 when every selected certificate is VALID, printing the usual table', () => {
    const r = run(['--id', 'web']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('VALID');
    expect(r.err).toBe('');
  });

  it('exits with the code of each state, naming what is not VALID in one line', () => {
    expect(run(['--id', 'held'])).toMatchObject({ code: 5, err: 'autoenroll: check failed (exit 5): held PENDING\n' });
    expect(run(['--id', 'later'])).toMatchObject({ code: 3, err: 'autoenroll: check failed (exit 3): later NEW\n' });
    const typo = run(['--id', 'typo']);
    expect(typo.code).toBe(4);
    expect(typo.err).toBe('autoenroll: check failed (exit 4): typo NEEDS_ATTENTION\n');
  });

  it('exits with the worst of several, worst first in the line', () => {
    const r = run([]);
    expect(r.code).toBe(5);
    expect(r.err).toBe('autoenroll: check failed (exit 5): held PENDING, typo NEEDS_ATTENTION, later NEW\n');
  });

  it('with --quiet prints nothing but the failure line; --json keeps the document on stdout', () => {
    const quiet = run(['--quiet', '--id', 'web']);
    expect(quiet).toMatchObject({ code: 0, out: '', err: '' });
    const json = run(['--json', '--id', 'held']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.out)).toMatchObject([{ id: 'held', state: 'PENDING' }]);
  });

  it('an unknown id is a usage error (4), as without --check', () => {
    const r = run(['--id', 'nope']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('UNKNOWN_CERTIFICATE_ID');
  });

  it('ranks expired over pending over needs attention over what the service still works on', () => {
    const rows = (...states: Parameters<typeof checkStatus>[0][number]['state'][]) => states.map((state, i) => ({ id: `c${i}`, state }));
    expect(checkStatus(rows('VALID', 'VALID')).exitCode).toBe(0);
    expect(checkStatus(rows()).exitCode).toBe(0);
    expect(checkStatus(rows('BACKING_OFF', 'EXPIRED', 'PENDING')).exitCode).toBe(7);
    expect(checkStatus(rows('NEEDS_ATTENTION', 'PENDING')).exitCode).toBe(5);
    expect(checkStatus(rows('RENEW_DUE', 'NEEDS_ATTENTION')).exitCode).toBe(4);
    expect(checkStatus(rows('VALID', 'RENEW_DUE')).exitCode).toBe(3);
    expect(checkStatus(rows('BACKING_OFF')).failing).toEqual([{ id: 'c0', state: 'BACKING_OFF', exitCode: 3 }]);
  });
});
