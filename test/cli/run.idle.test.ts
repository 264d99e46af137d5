// Acceptance: a running service with one certificate far from renewal is idle — no network
// request (lab log) and under 1% CPU (measured from /proc) over a 60 s observation — and
// `autoenroll pulse --wait` (the built CLI) makes it fetch the policy within 2 s and prints the
// pass result. Then SIGTERM stops it cleanly. Long test (~70 s of real time).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLiveStatus } from '../../src/daemon/controlClient.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { cpuTimeMs, rssBytes } from '../daemon/helpers/serviceLab.js';
import { runBuiltCli as cli, useRunFixture } from './runHelpers.js';

const OBSERVE_MS = 60_000;

describe.skipIf(process.platform !== 'linux')('autoenroll run: idle, pulse over the control socket, clean stop', () => {
  const run = useRunFixture();

  it('sleeps without requests or CPU, answers pulse --wait within 2 s, and stops on SIGTERM', async () => {
    const { lab } = run;
    const config = lab.writeConfig('idle', { id: 'far', template: 'SvcLong' });
    const stateDir = path.join(path.dirname(config), 'state');
    const service = run.startService(config);
    const pid = service.child.pid!;
    await service.waitForEvent('pass.finished', 30_000);
    // Let start-up work (JIT, GC after the first pass) settle before measuring.
    await new Promise((r) => setTimeout(r, 2_000));

    const socketMode = statSync(path.join(stateDir, 'control.sock')).mode & 0o777;
    expect(socketMode).toBe(0o600);
    const metrics = readFileSync(path.join(stateDir, 'metrics.prom'), 'utf8');
    expect(metrics).toContain('autoenroll_certificate_state{id="far",state="VALID"} 1');
    expect(metrics).toMatch(/autoenroll_certificate_not_after_seconds\{id="far"\} \d{10}/);

    const requestsBefore = lab.log().length;
    const cpuBefore = cpuTimeMs(pid);
    const liveBefore = (await readLiveStatus(stateDir))!;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, OBSERVE_MS));
    const elapsed = Date.now() - t0;
    const cpuShare = (cpuTimeMs(pid) - cpuBefore) / elapsed;
    const liveAfter = (await readLiveStatus(stateDir))!;
    const reportedCpuMs = (liveAfter.cpuUserMicros + liveAfter.cpuSystemMicros - liveBefore.cpuUserMicros - liveBefore.cpuSystemMicros) / 1000;
    const rss = rssBytes(pid);
    console.log(
      `[idle] ${elapsed} ms: CPU ${(cpuShare * 100).toFixed(3)}% (/proc), ${((reportedCpuMs / elapsed) * 100).toFixed(3)}% (process.cpuUsage, includes the status call); RSS ${(rss / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(lab.log().length).toBe(requestsBefore);
    expect(cpuShare).toBeLessThan(0.01);
    expect(reportedCpuMs / elapsed).toBeLessThan(0.01);
    expect(liveAfter.scheduler).toMatchObject({ phase: 'sleeping', passes: 1 });
    expect(Date.parse(liveAfter.scheduler.nextWakeAt!)).toBeGreaterThan(Date.now() + 3600_000);

    // pulse --wait: the service fetches the policy within 2 s and the CLI prints the pass result.
    const asked = Date.now();
    const pulse = await cli(['--config', config, '--json', 'pulse', '--wait'], lab.env);
    expect(pulse.code, pulse.err).toBe(0);
    const fetch = lab.log().slice(requestsBefore).find((e) => e.operation === 'GetPolicies');
    expect(fetch).toBeDefined();
    expect(Date.parse(fetch!.time) - asked).toBeLessThan(2_000);
    const result = JSON.parse(pulse.out) as PassResult;
    expect(result.operation).toBe('pulse');
    expect(result.policy.source).toBe('server');
    expect(result.certificates).toMatchObject([{ id: 'far', status: 'VALID', outcome: 'nothing-due' }]);
    expect(service.events().filter((e) => e.event === 'pass.started').map((e) => e.reason)).toEqual(['start', 'pulse']);

    // Text output of a pulse without --json, and a pulse that does not wait.
    const noWait = await cli(['--config', config, 'pulse'], lab.env);
    expect(noWait.code).toBe(0);
    expect(noWait.out).toContain('the running service is starting a pass now');

    expect(await service.stop('SIGTERM')).toBe(0);
    expect(service.events().at(-1)!.event).toBe('service.stopped');
    expect(existsSync(path.join(stateDir, 'control.sock'))).toBe(false);
    expect(await readLiveStatus(stateDir)).toBeNull();
  }, 120_000);
});
