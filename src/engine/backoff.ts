// Retry timing after failed attempts: exponential backoff with full jitter, capped so that the
// retries get denser as the certificate nears expiry (protocol.md §6.3 item 5: an expired
// certificate can no longer renew with its key, so the last stretch of validity matters most).
// A renewal that keeps failing stops following the exponential clock: after a few quick retries
// its next attempt is drawn over a wide span (a fraction of the validity left, at most a few
// days). Hosts whose renewals fell into an outage of every endpoint then come back spread over
// days instead of piling into the hours after it (a simulated 24 h outage of 100,000 hosts gave
// a busiest hour of 12 × the normal mean with the 4 h cap, see BENCHMARKS.md "Fleet").
import type { ScheduleSettings } from './plannerTypes.js';
import { DEFAULT_SCHEDULE } from './scheduleSettings.js';

type BackoffSettings = Pick<
  ScheduleSettings,
  'backoffBaseMs' | 'backoffMaxMs' | 'backoffRemainingFraction' | 'backoffFloorMs' | 'backoffSpreadAfterFailures' | 'backoffSpreadMaxMs'
>;

/**
 * The ceiling of the retry delay after `failures` consecutive failures:
 * min(base × 2^(failures−1), max, remainingFraction × remaining validity), never below the floor.
 * For a still-valid certificate after more than `spreadAfterFailures` failures it is instead
 * min(spreadMax, remainingFraction × remaining validity), never below the floor.
 * `remainingMs` is the validity left at the failure (undefined when there is no certificate).
 */
export function backoffCapMs(failures: number, remainingMs: number | undefined, s: BackoffSettings): number {
  if (remainingMs !== undefined && failures > s.backoffSpreadAfterFailures) {
    return Math.max(s.backoffFloorMs, Math.min(s.backoffSpreadMaxMs, Math.max(0, remainingMs) * s.backoffRemainingFraction));
  }
  const exponent = Math.max(0, Math.min(failures, 64) - 1);
  let cap = Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** exponent);
  if (remainingMs !== undefined) cap = Math.min(cap, Math.max(0, remainingMs) * s.backoffRemainingFraction);
  return Math.max(s.backoffFloorMs, cap);
}

/**
 * Full jitter (delay = draw × cap) with `draw` in [0, 1); the floor keeps a draw near zero from
 * turning into an immediate retry loop.
 */
export function backoffDelayMs(failures: number, remainingMs: number | undefined, draw: number, s: BackoffSettings): number {
  const cap = backoffCapMs(failures, remainingMs, s);
  return Math.max(s.backoffFloorMs, Math.floor(draw * cap));
}

/**
 * For the executor, after recording a failure: the instant of the next automatic attempt, drawn
 * once with `random` and stored as FailureView.nextAttemptAtMs so every later plan agrees on it.
 */
export function scheduleRetry(
  failure: { consecutiveFailures: number; failedAtMs: number; notAfterMs?: number },
  random: () => number,
  settings: BackoffSettings = DEFAULT_SCHEDULE,
): number {
  const remaining = remainingValidityMs(failure.notAfterMs, failure.failedAtMs);
  return failure.failedAtMs + backoffDelayMs(failure.consecutiveFailures, remaining, random(), settings);
}

/** Validity left at `atMs`, or undefined when there is none to protect (no certificate, or expired). */
export function remainingValidityMs(notAfterMs: number | undefined, atMs: number): number | undefined {
  if (notAfterMs === undefined || notAfterMs <= atMs) return undefined;
  return notAfterMs - atMs;
}
