import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/daemon/clock.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import type { PassReason, PassReport, PassRequest } from '../../src/daemon/scheduler.js';
import { silentLogger } from '../../src/log/logger.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

interface Harness {
  clock: FakeClock;
  scheduler: Scheduler;
  passes: Array<{ reason: PassReason; at: number }>;
  /** nextWakeAtMs the fake pass returns, computed from the clock at pass time. */
  setNextWake(fn: (now: number) => number | null): void;
  done: Promise<void>;
}

function harness(options: { nextWake?: (now: number) => number | null; intervalMs?: number; jitterMs?: number; random?: () => number; passMs?: number; throwOn?: (n: number) => boolean } = {}): Harness {
  const clock = new FakeClock();
  const passes: Array<{ reason: PassReason; at: number }> = [];
  let nextWake: (now: number) => number | null = options.nextWake ?? (() => null);
  const scheduler = new Scheduler({
    clock,
    logger: silentLogger,
    timing: () => ({ intervalMs: options.intervalMs ?? 8 * HOUR, jitterMs: options.jitterMs ?? 0 }),
    random: options.random ?? (() => 0.5),
    reload: async () => undefined,
    runPass: async (request: PassRequest): Promise<PassReport> => {
      passes.push({ reason: request.reason, at: clock.now() });
      if (options.passMs) await clock.sleepUntil(clock.now() + options.passMs, request.signal);
      if (options.throwOn?.(passes.length)) throw new Error('boom');
      return { exitCode: 0, nextWakeAtMs: nextWake(clock.now()), result: { n: passes.length } };
    },
  });
  const done = scheduler.run();
  return { clock, scheduler, passes, setNextWake: (fn) => (nextWake = fn), done };
}

describe('Scheduler', () => {
  it('runs a pass at start, then sleeps until the interval plus jitter', async () => {
    const h = harness({ intervalMs: 8 * HOUR, jitterMs: 10 * 60 * SECOND, random: () => 0.25 });
    const start = h.clock.now();
    await h.clock.whenSleeping();
    expect(h.passes).toEqual([{ reason: 'start', at: start }]);
    expect(h.clock.pendingTargets()).toEqual([start + 8 * HOUR + 150 * SECOND]);
    h.clock.advance(8 * HOUR + 150 * SECOND - 1);
    await h.clock.whenSleeping();
    expect(h.passes).toHaveLength(1);
    h.clock.advance(1);
    await h.clock.whenSleeping();
    expect(h.passes.map((p) => p.reason)).toEqual(['start', 'interval']);
    h.scheduler.stop();
    await h.done;
  });

  it('wakes at the planner instant before the interval, and only then', async () => {
    const start = new FakeClock().now();
    const h = harness({ nextWake: (now) => (now === start ? start + 90 * SECOND : null) });
    await h.clock.whenSleeping();
    // The planner instant from the start pass is the earliest target.
    expect(h.clock.pendingTargets()).toEqual([start + 90 * SECOND]);
    h.clock.advance(90 * SECOND);
    await h.clock.whenSleeping();
    expect(h.passes.map((p) => [p.reason, p.at - start])).toEqual([
      ['start', 0],
      ['wake', 90 * SECOND],
    ]);
    // The wake pass returned no planner instant: back to the interval.
    expect(h.clock.pendingTargets()).toEqual([start + 8 * HOUR]);
    h.scheduler.stop();
    await h.done;
  });

  it('never spins when the planner keeps answering "now"', async () => {
    const h = harness({ nextWake: (now) => now });
    await h.clock.whenSleeping();
    const [target] = h.clock.pendingTargets();
    expect(target! - h.clock.now()).toBe(1_000);
    h.scheduler.stop();
    await h.done;
  });

  it('a pulse runs a pass at once and resolves with its report; concurrent pulses share the next pass', async () => {
    const h = harness();
    await h.clock.whenSleeping();
    const [a, b] = await Promise.all([h.scheduler.pulse(), h.scheduler.pulse()]);
    expect(a).toEqual({ exitCode: 0, nextWakeAtMs: null, result: { n: 2 } });
    expect(b).toBe(a);
    expect(h.passes.map((p) => p.reason)).toEqual(['start', 'pulse']);
    // A pulse does not move the interval.
    await h.clock.whenSleeping();
    expect(h.clock.pendingTargets()).toEqual([h.passes[0]!.at + 8 * HOUR]);
    h.scheduler.stop();
    await h.done;
  });

  it('a pulse during a pass runs another pass after it', async () => {
    const h = harness({ passMs: 5 * SECOND });
    await h.clock.whenSleeping(); // inside the start pass
    expect(h.scheduler.state().phase).toBe('running');
    const pulsed = h.scheduler.pulse();
    h.clock.advance(5 * SECOND);
    await h.clock.whenSleeping(); // inside the pulse pass
    h.clock.advance(5 * SECOND);
    await pulsed;
    expect(h.passes.map((p) => p.reason)).toEqual(['start', 'pulse']);
    h.scheduler.stop();
    await h.done;
  });

  it('stop during a pass aborts its signal, waits for it, and starts nothing new', async () => {
    const h = harness({ passMs: 60 * SECOND });
    await h.clock.whenSleeping();
    const pending = h.scheduler.pulse().catch((error: Error) => error.message);
    h.scheduler.stop();
    await h.done;
    expect(h.passes.map((p) => p.reason)).toEqual(['start']);
    expect(await pending).toMatch(/stop/);
    expect(h.scheduler.state().phase).toBe('stopped');
  });

  it('SIGHUP reload re-reads the configuration and runs a pass with it', async () => {
    const h = harness();
    await h.clock.whenSleeping();
    h.scheduler.requestReload();
    await h.clock.whenSleeping();
    expect(h.passes.map((p) => p.reason)).toEqual(['start', 'reload']);
    h.scheduler.stop();
    await h.done;
  });

  it('a clock set back keeps the interval in elapsed time; a forward jump runs the missed pass', async () => {
    const h = harness({ intervalMs: 1 * HOUR });
    const start = h.clock.now();
    await h.clock.whenSleeping();
    h.clock.jump(-10 * 60 * SECOND);
    await h.clock.whenSleeping();
    expect(h.clock.pendingTargets()).toEqual([start + HOUR - 10 * 60 * SECOND]);
    h.clock.jump(2 * HOUR);
    await h.clock.whenSleeping();
    expect(h.passes.map((p) => p.reason)).toEqual(['start', 'interval']);
    h.scheduler.stop();
    await h.done;
  });

  it('a pass that throws is retried with a growing delay, and reported', async () => {
    const h = harness({ throwOn: (n) => n <= 3 });
    await h.clock.whenSleeping();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [target] = h.clock.pendingTargets();
      delays.push(target! - h.clock.now());
      h.clock.advanceTo(target!);
      await h.clock.whenSleeping();
    }
    expect(delays).toEqual([60 * SECOND, 120 * SECOND, 240 * SECOND]);
    expect(h.scheduler.state().lastPass).toMatchObject({ reason: 'wake', exitCode: 0 });
    h.scheduler.stop();
    await h.done;
  });
});
