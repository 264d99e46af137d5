// `autoenroll run` and its signals (the built CLI): SIGHUP re-reads the configuration (a broken
// one is refused and the old one kept), a second service on the same state folder is refused,
// SIGTERM stops cleanly.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLiveStatus } from '../../src/daemon/controlClient.js';
import { runBuiltCli, useRunFixture } from './runHelpers.js';

describe.skipIf(process.platform === 'win32')('autoenroll run: signals', () => {
  const run = useRunFixture();

  it('reloads on SIGHUP, keeps the old config when the new one is broken, refuses a second service', async () => {
    const { lab } = run;
    const config = lab.writeConfig('signals', { id: 'web', template: 'SvcLong' });
    const stateDir = path.join(path.dirname(config), 'state');
    const service = run.startService(config);
    await service.waitForEvent('pass.finished', 30_000);

    // A second service on the same state folder is refused (the control socket answers).
    const second = await runBuiltCli(['run', '--config', config], lab.env);
    expect(second.code).toBe(1);
    expect(second.err).toContain('SERVICE_ALREADY_RUNNING');

    const original = readFileSync(config, 'utf8');
    writeFileSync(config, `${original}schedule: { interval: 2h, jitter: 0s }\n`);
    service.child.kill('SIGHUP');
    await service.waitForEvent('service.reloaded', 10_000);
    await service.waitForEvent('pass.finished', 10_000, 2);
    const live = (await readLiveStatus(stateDir))!;
    const nextInterval = Date.parse(live.scheduler.nextIntervalAt!);
    expect(Math.abs(nextInterval - Date.now() - 2 * 3600_000)).toBeLessThan(60_000);

    writeFileSync(config, `${original}schedule: { interval: soon }\n`);
    service.child.kill('SIGHUP');
    const failed = await service.waitForEvent('service.reload_failed', 10_000);
    expect(JSON.stringify(failed)).toContain('schedule.interval');
    expect((await readLiveStatus(stateDir))!.scheduler.phase).toBe('sleeping');

    expect(await service.stop('SIGTERM')).toBe(0);
    const names = service.events().map((e) => e.event);
    expect(names.slice(-2)).toEqual(['service.stopping', 'service.stopped']);
  }, 60_000);
});
