// The Clock seam of the service loop. `sleepUntil` never trusts one long timer: Node's timers run
// on the monotonic clock, so a plain 8 h setTimeout fires 8 h of *running* time later — late by the
// length of any suspend, and blind to the wall clock being set. The real clock sleeps in slices of
// at most 30 s and re-reads the wall clock at each wake; when wall time moved differently from
// monotonic time by more than a threshold (a clock jump, or a resume from suspend) it returns
// 'clock-jump' so the caller re-plans.

export type SleepOutcome =
  | { kind: 'due' }
  | { kind: 'aborted' }
  /** Wall time moved `driftMs` more (positive: jumped forward / resumed) than monotonic time. */
  | { kind: 'clock-jump'; driftMs: number };

export interface Clock {
  /** Wall-clock epoch milliseconds. */
  now(): number;
  /** Resolves at `targetMs` (wall clock), on abort, or when the wall clock jumps. Never rejects. */
  sleepUntil(targetMs: number, signal?: AbortSignal): Promise<SleepOutcome>;
}

export interface SystemClockOptions {
  /** Longest single timer (default 30 s). */
  maxSliceMs?: number;
  /** Drift between wall and monotonic time that counts as a jump (default 5 s). */
  jumpThresholdMs?: number;
}

export function systemClock(options: SystemClockOptions = {}): Clock {
  const maxSliceMs = options.maxSliceMs ?? 30_000;
  const jumpThresholdMs = options.jumpThresholdMs ?? 5_000;
  return {
    now: () => Date.now(),
    async sleepUntil(targetMs, signal) {
      for (;;) {
        if (signal?.aborted) return { kind: 'aborted' };
        const wallBefore = Date.now();
        const remaining = targetMs - wallBefore;
        if (remaining <= 0) return { kind: 'due' };
        const monoBefore = performance.now();
        const slept = await sleepMs(Math.min(remaining, maxSliceMs), signal);
        if (!slept) return { kind: 'aborted' };
        const driftMs = Date.now() - wallBefore - (performance.now() - monoBefore);
        if (Math.abs(driftMs) > jumpThresholdMs) return { kind: 'clock-jump', driftMs: Math.round(driftMs) };
      }
    },
  };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Sleeper {
  targetMs: number;
  resolve(outcome: SleepOutcome): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A clock the test drives: `advance` moves time forward (waking sleepers that become due, as
 * monotonic time would), `jump` moves only the wall clock (sleepers see a 'clock-jump').
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(startMs = Date.UTC(2030, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleepUntil(targetMs: number, signal?: AbortSignal): Promise<SleepOutcome> {
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    if (targetMs <= this.current) return Promise.resolve({ kind: 'due' });
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        targetMs,
        signal,
        resolve,
        onAbort: () => {
          this.remove(sleeper);
          resolve({ kind: 'aborted' });
        },
      };
      signal?.addEventListener('abort', sleeper.onAbort, { once: true });
      this.sleepers.push(sleeper);
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    });
  }

  /** Targets of the current sleepers (what the code under test is waiting for). */
  pendingTargets(): number[] {
    return this.sleepers.map((s) => s.targetMs);
  }

  /** Resolves once something is sleeping on this clock (after letting queued work settle). */
  async whenSleeping(): Promise<void> {
    for (let i = 0; i < 50 && this.sleepers.length === 0; i++) await new Promise((r) => setImmediate(r));
    if (this.sleepers.length > 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Moves time forward by `ms`; sleepers whose target is reached wake with 'due'. */
  advance(ms: number): void {
    this.current += ms;
    for (const sleeper of [...this.sleepers]) {
      if (sleeper.targetMs <= this.current) this.wake(sleeper, { kind: 'due' });
    }
  }

  /** Moves time forward to `targetMs` (no-op if already past). */
  advanceTo(targetMs: number): void {
    if (targetMs > this.current) this.advance(targetMs - this.current);
  }

  /** Sets the wall clock by `deltaMs` without monotonic time passing: every sleeper sees a jump. */
  jump(deltaMs: number): void {
    this.current += deltaMs;
    for (const sleeper of [...this.sleepers]) this.wake(sleeper, { kind: 'clock-jump', driftMs: deltaMs });
  }

  private wake(sleeper: Sleeper, outcome: SleepOutcome): void {
    this.remove(sleeper);
    sleeper.signal?.removeEventListener('abort', sleeper.onAbort);
    sleeper.resolve(outcome);
  }

  private remove(sleeper: Sleeper): void {
    this.sleepers = this.sleepers.filter((s) => s !== sleeper);
  }
}
