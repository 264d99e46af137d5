// Defaults of the scheduling rules. Each value is a tunable, not a protocol constant, except where
// noted with its protocol.md section.
import type { ScheduleSettings } from './plannerTypes.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_SCHEDULE: Readonly<ScheduleSettings> = Object.freeze({
  // Hosts spread evenly over the first 60 % of the window, so a fleet's renewals cover well over
  // half of it (the central 99 % of a simulated fleet's requests span ~0.59 of the window); the
  // last 40 % is left for retries (16.8 days of a 6-week renewal period).
  spreadFraction: 0.6,
  // Decorrelates hosts that share a host id (cloned images) and generations of one host; wrapped
  // around inside the spread part (renewalWindow.ts), so it does not widen it.
  jitterFraction: 0.02,
  backoffBaseMs: MINUTE,
  backoffMaxMs: 4 * HOUR,
  // A retry never waits more than a tenth of what is left, so the attempts get denser near expiry.
  backoffRemainingFraction: 0.1,
  backoffFloorMs: 30_000,
  // Three quick retries (within ~7 minutes) for a blip, then a still-valid certificate's next
  // attempt is drawn over up to a tenth of the validity left, at most 3 days (backoff.ts).
  backoffSpreadAfterFailures: 3,
  backoffSpreadMaxMs: 3 * DAY,
  pendingInitialPollMs: 15 * MINUTE,
  pendingMaxPollMs: HOUR,
  // protocol.md §6.4: Windows ages out stale pending requests; 60 days is the commonly cited value.
  pendingMaxAgeMs: 60 * DAY,
  // protocol.md §2.4: Windows servers default nextUpdateHours to 8.
  policyDefaultRefreshMs: 8 * HOUR,
  // protocol.md §6.3 item 4: "Reenroll all certificate holders" after a major template revision.
  reenrollOnTemplateUpdate: true,
});

/** Defaults overlaid with the caller's overrides; throws on values that would break the rules. */
export function resolveSchedule(overrides: Partial<ScheduleSettings> | undefined): ScheduleSettings {
  const s: ScheduleSettings = { ...DEFAULT_SCHEDULE, ...overrides };
  const fraction = (name: keyof ScheduleSettings, value: number): void => {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`schedule.${name} must be within [0, 1], got ${value}`);
  };
  fraction('spreadFraction', s.spreadFraction);
  fraction('jitterFraction', s.jitterFraction);
  fraction('backoffRemainingFraction', s.backoffRemainingFraction);
  // The planned instant must stay strictly inside the window.
  if (s.spreadFraction + s.jitterFraction >= 1) {
    throw new RangeError('schedule.spreadFraction + schedule.jitterFraction must be below 1');
  }
  if (!(Number.isInteger(s.backoffSpreadAfterFailures) && s.backoffSpreadAfterFailures >= 0)) {
    throw new RangeError(`schedule.backoffSpreadAfterFailures must be a whole number ≥ 0, got ${s.backoffSpreadAfterFailures}`);
  }
  for (const name of ['backoffBaseMs', 'backoffMaxMs', 'backoffFloorMs', 'backoffSpreadMaxMs', 'pendingInitialPollMs', 'pendingMaxPollMs', 'pendingMaxAgeMs', 'policyDefaultRefreshMs'] as const) {
    const value = s[name];
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`schedule.${name} must be a positive number of ms, got ${value}`);
  }
  if (s.backoffFloorMs > s.backoffMaxMs) throw new RangeError('schedule.backoffFloorMs must not exceed schedule.backoffMaxMs');
  if (s.pendingInitialPollMs > s.pendingMaxPollMs) throw new RangeError('schedule.pendingInitialPollMs must not exceed schedule.pendingMaxPollMs');
  return s;
}
