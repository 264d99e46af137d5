// The planner: what each managed certificate needs now, and when anything is next due.
// Pure: no I/O, no clock reads, no randomness of its own. Where the schedule needs a random
// spread (renewal slot, jitter, full-jitter backoff) the draw is derived from stable identifiers
// (hostOffset.ts) or was drawn once by the executor and stored (FailureView.nextAttemptAtMs), so
// the service, `status` and `plan --at` all compute the same instants and a re-plan at the
// planned instant finds the action due.
import { decideCertificate, type CertificateContext } from './certificatePlan.js';
import { earliestInstant } from './nextWake.js';
import { isAllowed } from './operationFilter.js';
import type { CertificateAction, PlannerInput, PlanOptions, PlanResult } from './plannerTypes.js';
import { policyRefreshAt } from './policyRefresh.js';
import { resolveSchedule } from './scheduleSettings.js';

export function plan(input: PlannerInput, nowMs: number, options: PlanOptions = {}): PlanResult {
  const settings = resolveSchedule(options.schedule);
  const ctx: CertificateContext = {
    nowMs,
    hostId: input.hostId,
    policyKnown: input.policy?.fetchedAtMs !== undefined,
    policyAttempted: input.policy !== null,
    offeredTemplates: input.policy?.templateNames ?? [],
    operation: options.operation,
    force: options.force === true,
    reuseKeyOverride: options.reuseKey,
    settings,
  };

  const actions = input.certificates.map((certificate): CertificateAction => {
    const d = decideCertificate(certificate, ctx);
    const allowed = isAllowed(d.step, options.operation);
    const step = allowed ? d.step : { kind: 'skip' as const, reason: 'operation-filter' as const, blocked: d.step };
    return {
      ...step,
      certificateId: certificate.id,
      status: d.status,
      renewAtMs: d.renewAtMs,
      nextEventMs: allowed ? d.nextEventMs : null,
      timing: d.timing,
      warnings: d.warnings,
    };
  });

  // protocol.md §2.4 / §6.1: a manual pulse refreshes the policy at once.
  const policyRefreshAtMs = policyRefreshAt(input.policy, input.hostId, nowMs, settings, options.operation === 'pulse');
  const nextWakeAtMs = earliestInstant([...actions.map((a) => a.nextEventMs), policyRefreshAtMs], policyRefreshAtMs);
  return { actions, policyRefreshAtMs, nextWakeAtMs };
}

export { DEFAULT_SCHEDULE, resolveSchedule } from './scheduleSettings.js';
export { scheduleRetry, backoffCapMs, backoffDelayMs } from './backoff.js';
export { hostOffset } from './hostOffset.js';
export { renewalWindow, plannedRenewalAt } from './renewalWindow.js';
export type * from './plannerTypes.js';
