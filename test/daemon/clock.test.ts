import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, systemClock } from '../../src/daemon/clock.js';

afterEach(() => vi.restoreAllMocks());

describe('system clock', () => {
  it('sleeps in capped slices and wakes when the target is reached', async () => {
    const clock = systemClock({ maxSliceMs: 20 });
    const start = Date.now();
    expect(await clock.sleepUntil(start + 70)).toEqual({ kind: 'due' });
    expect(Date.now() - start).toBeGreaterThanOrEqual(69);
  });

  it('notices a wall-clock jump at the next slice instead of sleeping through it', async () => {
    const clock = systemClock({ maxSliceMs: 20, jumpThresholdMs: 1_000 });
    const realNow = Date.now.bind(Date);
    let offset = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const sleeping = clock.sleepUntil(realNow() + 3_600_000);
    setTimeout(() => (offset = 600_000), 30); // the clock is set forward 10 minutes
    const outcome = await sleeping;
    expect(outcome.kind).toBe('clock-jump');
    expect(outcome.kind === 'clock-jump' && Math.abs(outcome.driftMs - 600_000) < 100).toBe(true);
  });

  it('wakes at once on abort', async () => {
    const clock = systemClock();
    const controller = new AbortController();
    const sleeping = clock.sleepUntil(Date.now() + 3_600_000, controller.signal);
    controller.abort();
    expect(await sleeping).toEqual({ kind: 'aborted' });
  });
});

describe('fake clock', () => {
  it('wakes sleepers as time advances, and reports jumps', async () => {
    const clock = new FakeClock(0);
    const a = clock.sleepUntil(100);
    const b = clock.sleepUntil(200);
    clock.advance(150);
    expect(await a).toEqual({ kind: 'due' });
    expect(clock.pendingTargets()).toEqual([200]);
    clock.jump(-50);
    expect(await b).toEqual({ kind: 'clock-jump', driftMs: -50 });
  });
});
