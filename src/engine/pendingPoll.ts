// Polling cadence of a pending request (protocol.md §6.4): QueryTokenStatus often at first, when an
// approval is most likely to be fresh, then less often; given up after pendingMaxAge.
import type { PendingRequestView, ScheduleSettings } from './plannerTypes.js';

type PollSettings = Pick<ScheduleSettings, 'pendingInitialPollMs' | 'pendingMaxPollMs' | 'pendingMaxAgeMs'>;

/** Interval after a poll made when the request was `ageMs` old: a quarter of the age, clamped. */
export function pendingPollIntervalMs(ageMs: number, s: PollSettings): number {
  return Math.min(s.pendingMaxPollMs, Math.max(s.pendingInitialPollMs, Math.floor(Math.max(0, ageMs) / 4)));
}

/** The next scheduled poll, counted from the last poll (or from the submission). */
export function nextPendingPollAt(pending: PendingRequestView, s: PollSettings): number {
  const lastMs = Math.max(pending.submittedAtMs, pending.lastPolledAtMs ?? pending.submittedAtMs);
  return lastMs + pendingPollIntervalMs(lastMs - pending.submittedAtMs, s);
}

/** When the request is given up and reported (protocol.md §6.4 "ages out", 60 days by default). */
export function pendingDeadline(pending: PendingRequestView, s: PollSettings): number {
  return pending.submittedAtMs + s.pendingMaxAgeMs;
}
