// `autoenroll pulse` with no service running: one pass in-process under the state lock. A failing
// deploy hook is reported (exit 6, hook.failed logged) without undoing the installed certificate.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { openStore } from '../../src/store/index.js';
import { captureContext } from '../helpers/cliContext.js';
import { startServiceLab } from '../daemon/helpers/serviceLab.js';
import type { ServiceLab } from '../daemon/helpers/serviceLab.js';

describe('autoenroll pulse without a running service', () => {
  let lab: ServiceLab;
  beforeAll(async () => {
    lab = await startServiceLab();
  });
  afterAll(async () => lab?.close());

  it('runs one pass in-process and prints it', async () => {
    const config = lab.writeConfig('inproc', { id: 'web', template: 'SvcLong' });
    const ctx = captureContext({ env: lab.env });
    expect(await runCli(['--config', config, '--json', 'pulse'], ctx)).toBe(0);
    const result = JSON.parse(ctx.out()) as PassResult;
    expect(result).toMatchObject({ operation: 'pulse', exitCode: 0 });
    expect(result.certificates).toMatchObject([{ id: 'web', action: 'enroll', outcome: 'issued', status: 'VALID' }]);
    // The pass held the state lock and released it.
    expect(existsSync(path.join(path.dirname(config), 'state/lock'))).toBe(false);
  });

  it('waits for, then reports, the state lock held by another pass runner', async () => {
    const config = lab.writeConfig('locked', { id: 'web', template: 'SvcLong' });
    const store = openStore(path.join(path.dirname(config), 'state'));
    const release = await store.lockAll();
    try {
      const ctx = captureContext({ env: lab.env });
      const started = Date.now();
      expect(await runCli(['--config', config, 'pulse'], ctx)).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      expect(ctx.err()).toMatch(/STATE_LOCKED.*is locked by process/);
    } finally {
      await release();
    }
  }, 20_000);

  it('a failing deploy hook gives exit 6 and leaves the new certificate installed', async () => {
    const config = lab.writeConfig('hookfail', {
      id: 'web',
      template: 'SvcLong',
      deploy: [`${process.execPath} -e "console.error('nginx: reload failed'); process.exit(2)"`],
    });
    const dir = path.dirname(config);
    const ctx = captureContext({ env: lab.env });
    expect(await runCli(['--config', config, '--json', 'pulse'], ctx)).toBe(6);
    const result = JSON.parse(ctx.out()) as PassResult;
    expect(result.exitCode).toBe(6);
    const web = result.certificates[0]!;
    expect(web.error?.code).toBe('HOOK_FAILED');
    expect(web.error?.message).toMatch(/exited with status 2/);
    const hookLog = ctx
      .err()
      .split('\n')
      .filter((l) => l.includes('"hook.failed"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(hookLog).toMatchObject([{ id: 'web', hook: 'deploy', exitCode: 2, output: 'nginx: reload failed' }]);

    // Installed and kept: the generation is current and the output file holds it.
    const current = await openStore(path.join(dir, 'state')).certificate('web').current();
    expect(current?.number).toBe(1);
    expect(readFileSync(path.join(dir, 'out/web.pem'), 'utf8')).toBe(current!.certPem);

    // The next pass does not re-issue or roll back.
    const again = captureContext({ env: lab.env });
    await runCli(['--config', config, 'pulse'], again);
    expect((await openStore(path.join(dir, 'state')).certificate('web').current())?.number).toBe(1);
  });
});
