// The deploy hook is a durable step: a process killed after the output files of a new generation
// were written and before its deploy hook ran runs the hook at the next start (with the old and
// new thumbprints it would have had), exactly once, without asking the CA again; a failed deploy
// hook is retried on every pass until it succeeds.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { CertificateState } from '../../src/store/stateModel.js';
import { openStore } from '../../src/store/store.js';
import { hasOpenssl } from '../helpers/tools.js';
import { cli, startAgentLab } from './agentLab.js';
import type { AgentLab } from './agentLab.js';
import { bundleCli, runBundle } from './cliBundle.js';

describe.skipIf(!hasOpenssl)('deploy hook after a crash', () => {
  let env: AgentLab;
  let bundle: string;
  let vars: NodeJS.ProcessEnv;
  let serial = 0;
  const issues = () => env.lab.requestLog().filter((e) => e.operation === 'Issue').length;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([startAgentLab(), bundleCli()]);
    vars = { LAB_PASSWORD: env.password };
  }, 60_000);
  afterAll(async () => env?.close());

  /** A certificate whose deploy hook appends "generation old new" to a log (and fails while `blocker` exists). */
  function setup() {
    const id = `h${++serial}`;
    const log = join(env.work, `${id}-deploys.log`);
    const blocker = join(env.work, `${id}-hook-fails`);
    const script = `test ! -e '${blocker}' && echo "$AUTOENROLL_GENERATION $AUTOENROLL_OLD_THUMBPRINT $AUTOENROLL_THUMBPRINT" >> '${log}'`;
    const config = env.writeConfig(`deploy-${id}`, [{ id, template: 'TestInstant', deploy: [`sh -c "${script.replaceAll('"', '\\"')}"`] }]);
    const stateDir = join(dirname(config), 'state');
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    const state = () => JSON.parse(readFileSync(join(stateDir, 'certs', id, 'state.json'), 'utf8')) as CertificateState;
    const thumbprint = async (n: number) => (await openStore(stateDir).certificate(id).generation(n))!.meta.thumbprintSha1;
    return { id, config, blocker, lines, state, thumbprint };
  }

  it.each(['engine:deploy-pending-written', 'engine:outputs-installed', 'engine:state-written', 'engine:previous-archived'])(
    'renewal killed at %s: the next run runs the deploy hook once, with both thumbprints, and asks the CA nothing',
    async (point) => {
      const c = setup();
      expect((await cli(['--config', c.config, 'enroll'], vars)).code).toBe(0);
      expect(c.lines()).toHaveLength(1);
      const killed = await runBundle(bundle, ['--config', c.config, 'renew', '--force'], { ...vars, AUTOENROLL_CRASH_AT: point });
      expect(killed.signal, `${point} was not reached: ${killed.stderr}`).toBe('SIGKILL');
      expect(c.lines(), 'the hook did not run before the kill').toHaveLength(1);
      expect(c.state().deployPending).toMatchObject({ generation: 2, previousThumbprint: await c.thumbprint(1) });
      const before = issues();

      const again = await cli(['--config', c.config, '--json', 'pulse'], vars);
      expect(again.code, again.err).toBe(0);
      expect(issues() - before, 'Issue requests').toBe(0);
      expect(c.lines()).toEqual([c.lines()[0], `2 ${await c.thumbprint(1)} ${await c.thumbprint(2)}`]);
      expect(c.state().deployPending ?? null).toBeNull();

      expect((await cli(['--config', c.config, 'pulse'], vars)).code).toBe(0);
      expect(c.lines(), 'not run again once it succeeded').toHaveLength(2);
    },
  );

  it('killed after the hook ran and before that was recorded: the hook runs again (at least once, never lost)', async () => {
    const c = setup();
    const killed = await runBundle(bundle, ['--config', c.config, 'enroll'], { ...vars, AUTOENROLL_CRASH_AT: 'engine:hook-ran' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(c.lines()).toHaveLength(1);
    expect((await cli(['--config', c.config, 'pulse'], vars)).code).toBe(0);
    expect(c.lines()).toEqual([`1  ${await c.thumbprint(1)}`, `1  ${await c.thumbprint(1)}`]);
    expect((await cli(['--config', c.config, 'pulse'], vars)).code).toBe(0);
    expect(c.lines()).toHaveLength(2);
  });

  it('a failed deploy hook is retried on every pass until it succeeds, the failure in lastError meanwhile', async () => {
    const c = setup();
    writeFileSync(c.blocker, '');
    const first = await cli(['--config', c.config, '--json', 'enroll'], vars);
    expect(first.code, first.err).toBe(6);
    expect(c.state()).toMatchObject({ deployPending: { generation: 1, failures: 1 }, lastError: { code: 'HOOK_FAILED' } });

    const second = await cli(['--config', c.config, '--json', 'pulse'], vars);
    expect(second.code, second.err).toBe(6);
    expect((JSON.parse(second.out) as PassResult).certificates[0]).toMatchObject({ error: { code: 'HOOK_FAILED' } });
    expect(c.state()).toMatchObject({ deployPending: { generation: 1, failures: 2 }, lastError: { code: 'HOOK_FAILED' } });
    expect(c.lines()).toEqual([]);

    unlinkSync(c.blocker);
    const before = issues();
    const third = await cli(['--config', c.config, 'pulse'], vars);
    expect(third.code, third.err).toBe(0);
    expect(c.lines()).toEqual([`1  ${await c.thumbprint(1)}`]);
    expect(c.state().deployPending ?? null).toBeNull();
    expect(c.state().lastError ?? null).toBeNull();
    expect((await cli(['--config', c.config, 'pulse'], vars)).code).toBe(0);
    expect(c.lines()).toHaveLength(1);
    expect(issues() - before).toBe(0);
  });
});
