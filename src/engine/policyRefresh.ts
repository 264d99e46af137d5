// When to fetch the policy again (protocol.md §2.4): no earlier than nextUpdateHours after the last
// good fetch (8 h when the server does not say), at once when there is none or on a manual pulse,
// and with backoff while every policy server keeps failing — the cached policy stays usable then.
import { backoffDelayMs } from './backoff.js';
import { uniformFraction } from './hostOffset.js';
import type { PolicyFreshnessView, ScheduleSettings } from './plannerTypes.js';

export function policyRefreshAt(
  policy: PolicyFreshnessView | null,
  hostId: string,
  nowMs: number,
  s: ScheduleSettings,
  forced: boolean,
): number {
  if (forced) return nowMs;
  const dueMs =
    policy?.fetchedAtMs === undefined ? nowMs : (policy.nextUpdateAtMs ?? policy.fetchedAtMs + s.policyDefaultRefreshMs);
  const failures = policy?.consecutiveFailures ?? 0;
  if (failures <= 0 || policy?.lastAttemptAtMs === undefined) return dueMs;
  const draw = uniformFraction('policy-retry', hostId, failures, policy.lastAttemptAtMs);
  return Math.max(dueMs, policy.lastAttemptAtMs + backoffDelayMs(failures, undefined, draw, s));
}
