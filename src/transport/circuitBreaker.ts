// Short memory of endpoints that just failed, so that the next attempt does not start with a
// dead one. In memory; `toJSON()`/`fromJSON()` let the service carry it across runs. Time is
// passed in by the caller (no clock reads here), so tests need no fake timers.

export const DEFAULT_COOL_DOWN_MS = 5 * 60 * 1000;

export interface BreakerEntry {
  url: string;
  /** When the most recent failure happened (ms since the epoch). */
  failedAtMs: number;
  /** Failures in a row since the last success. */
  consecutiveFailures: number;
  /** Error code of the most recent failure (for status / doctor output). */
  code: string;
}

export interface BreakerSnapshot {
  version: 1;
  coolDownMs: number;
  entries: BreakerEntry[];
}

const MAX_ENTRIES = 256;

export class CircuitBreaker {
  readonly coolDownMs: number;
  private readonly entries = new Map<string, BreakerEntry>();

  constructor(options: { coolDownMs?: number } = {}) {
    const coolDownMs = options.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
    if (!Number.isFinite(coolDownMs) || coolDownMs < 0) throw new RangeError('coolDownMs must be a non-negative number');
    this.coolDownMs = coolDownMs;
  }

  /** True while the endpoint failed less than `coolDownMs` ago (and has not succeeded since). */
  isTripped(url: string, nowMs: number): boolean {
    const entry = this.entries.get(url);
    return entry !== undefined && nowMs - entry.failedAtMs < this.coolDownMs && nowMs >= entry.failedAtMs;
  }

  recordFailure(url: string, nowMs: number, code = 'UNREACHABLE'): void {
    const previous = this.entries.get(url);
    this.entries.delete(url);
    this.entries.set(url, { url, failedAtMs: nowMs, code, consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1 });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  recordSuccess(url: string): void {
    this.entries.delete(url);
  }

  /** The endpoints currently tripped, for status and diagnostics. */
  tripped(nowMs: number): BreakerEntry[] {
    return [...this.entries.values()].filter((entry) => this.isTripped(entry.url, nowMs)).map((entry) => ({ ...entry }));
  }

  toJSON(): BreakerSnapshot {
    return { version: 1, coolDownMs: this.coolDownMs, entries: [...this.entries.values()].map((entry) => ({ ...entry })) };
  }

  /**
   * Rebuilds a breaker from `toJSON()` output. Malformed entries are skipped rather than fatal: this is
   * a hint for ordering, and losing it only means a dead endpoint may be tried first once more.
   */
  static fromJSON(data: unknown, options: { coolDownMs?: number } = {}): CircuitBreaker {
    const snapshot = (typeof data === 'object' && data !== null ? data : {}) as Partial<BreakerSnapshot>;
    const coolDownMs = options.coolDownMs ?? (typeof snapshot.coolDownMs === 'number' ? snapshot.coolDownMs : undefined);
    const breaker = new CircuitBreaker(coolDownMs === undefined ? {} : { coolDownMs });
    if (snapshot.version !== 1 || !Array.isArray(snapshot.entries)) return breaker;
    for (const raw of snapshot.entries.slice(-MAX_ENTRIES) as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const entry = raw as Partial<BreakerEntry>;
      if (typeof entry.url !== 'string' || typeof entry.failedAtMs !== 'number' || !Number.isFinite(entry.failedAtMs)) continue;
      breaker.entries.set(entry.url, {
        url: entry.url,
        failedAtMs: entry.failedAtMs,
        consecutiveFailures: typeof entry.consecutiveFailures === 'number' ? entry.consecutiveFailures : 1,
        code: typeof entry.code === 'string' ? entry.code : 'UNREACHABLE',
      });
    }
    return breaker;
  }
}
