// plan = pass: for random configurations, stored states, policies (renewal-period overrides,
// templates missing or superseded, stale or failing policy caches) and instants, what
// `autoenroll plan --at T` prints (planDocument over the whole configuration) is exactly what a
// pass at T does for each certificate (the agent plans one certificate at a time): the same
// action, at the same instant; and a predicted wait is kept until its instant and over at it.
// Forced and command-driven operations are planned the same way on both sides. In-process and
// pure, so 10,000 cases take seconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planDocument } from '../../src/cli/commands/plan.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import { plan } from '../../src/engine/planner.js';
import type { CertificateAction, CertificatePlanInput, PlanOperation, PlanOptions, PlannerInput } from '../../src/engine/plannerTypes.js';
import { DAY, HOUR, T0, cert, template } from './plannerFixtures.js';

const ACTING = new Set(['enroll', 're-enroll', 'renew', 'retrieve']);

/** What the agent's pass does with a planned action (agent.ts: the switch on planned.kind). */
function passDoes(action: CertificateAction, operation: PlanOperation | undefined): string {
  if (action.kind === 'skip' && action.blocked.kind === 'retrieve' && operation !== undefined) return 'retrieve';
  return ACTING.has(action.kind) ? action.kind : 'none';
}

/** What `plan` predicts: the step it shows, acted on only when due at the planned instant. */
function planPredicts(action: string, when: string | null, atMs: number, skipped: boolean, operation: PlanOperation | undefined): string {
  if (skipped) return action === 'retrieve' && operation !== undefined ? 'retrieve' : 'none';
  return ACTING.has(action) && when !== null && Date.parse(when) === atMs ? action : 'none';
}

const certificateArb = (index: number): fc.Arbitrary<CertificatePlanInput> =>
  fc
    .record({
      hasCert: fc.boolean(),
      notBeforeOffset: fc.integer({ min: -400 * DAY, max: 10 * DAY }),
      lifetimeMs: fc.integer({ min: 60_000, max: 730 * DAY }),
      renewalFraction: fc.option(fc.double({ min: 0.01, max: 0.9, noNaN: true }), { nil: undefined }),
      overrideFraction: fc.option(fc.double({ min: 0.01, max: 0.9, noNaN: true }), { nil: undefined }),
      minRenewalFraction: fc.double({ min: 0, max: 0.9, noNaN: true }),
      reuseKey: fc.boolean(),
      templateState: fc.constantFrom('listed', 'listed', 'listed', 'missing', 'superseded'),
      passwordCredentials: fc.boolean(),
      keyBasedRenewal: fc.boolean(),
      usernameEnrollment: fc.boolean(),
      pending: fc.option(fc.record({ submittedOffset: fc.integer({ min: -70 * DAY, max: 0 }), polledOffset: fc.option(fc.integer({ min: 0, max: 10 * DAY }), { nil: undefined }) }), { nil: null }),
      failures: fc.integer({ min: 0, max: 12 }),
      lastAttemptOffset: fc.integer({ min: -10 * DAY, max: 0 }),
      storedRetry: fc.option(fc.integer({ min: -DAY, max: 3 * DAY }), { nil: undefined }),
    })
    .map((g) => {
      const notBeforeMs = T0 + g.notBeforeOffset;
      const renewalPeriodMs = g.renewalFraction !== undefined ? Math.max(1000, Math.floor(g.lifetimeMs * g.renewalFraction)) : undefined;
      return cert({
        id: `cert-${index}`,
        passwordCredentials: g.passwordCredentials,
        template:
          g.templateState === 'missing'
            ? null
            : template({ ...(renewalPeriodMs !== undefined ? { renewalPeriodMs } : {}), ...(g.templateState === 'superseded' ? { supersededBy: 'NewerTemplate' } : {}) }),
        current: g.hasCert
          ? { notBeforeMs, notAfterMs: notBeforeMs + g.lifetimeMs, templateOid: '1.3.6.1.4.1.311.21.8.1.2.3', templateMajorVersion: 100, thumbprint: `${'AB'.repeat(19)}${index.toString(16).padStart(2, '0')}` }
          : null,
        pending: g.pending
          ? { requestId: String(100 + index), submittedAtMs: T0 + g.pending.submittedOffset, kind: g.hasCert ? 'renew' : 'enroll', ...(g.pending.polledOffset !== undefined ? { lastPolledAtMs: T0 + g.pending.submittedOffset + g.pending.polledOffset } : {}) }
          : null,
        failures:
          g.failures === 0
            ? { consecutiveFailures: 0 }
            : { consecutiveFailures: g.failures, lastAttemptAtMs: T0 + g.lastAttemptOffset, ...(g.storedRetry !== undefined ? { nextAttemptAtMs: T0 + g.lastAttemptOffset + g.storedRetry } : {}) },
        configured: {
          reuseKey: g.reuseKey,
          minRenewalFraction: g.minRenewalFraction,
          ...(g.overrideFraction !== undefined ? { renewalPeriodMs: Math.max(1000, Math.floor(g.lifetimeMs * g.overrideFraction)) } : {}),
        },
        endpoints: { keyBasedRenewal: g.keyBasedRenewal, usernameEnrollment: g.usernameEnrollment },
      });
    });

const scenarioArb = fc
  .record({
    hostId: fc.string({ minLength: 1, maxLength: 24 }),
    count: fc.integer({ min: 1, max: 4 }),
    policy: fc.option(
      fc.record({ fetchedOffset: fc.integer({ min: -30 * DAY, max: 0 }), nextUpdateHours: fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined }), failures: fc.integer({ min: 0, max: 6 }) }),
      { nil: null },
    ),
    atOffset: fc.integer({ min: -30 * DAY, max: 800 * DAY }),
    operation: fc.constantFrom<PlanOperation | undefined>(undefined, undefined, undefined, 'enroll', 'renew', 'retrieve', 'pulse'),
    force: fc.boolean(),
    reuseKeyFlag: fc.boolean(),
  })
  .chain((s) => fc.tuple(fc.constant(s), fc.tuple(...Array.from({ length: s.count }, (_, i) => certificateArb(i)))));

describe('plan = pass (property)', () => {
  it('plan --at T predicts exactly the action and the instant of a pass at T, for every certificate', () => {
    fc.assert(
      fc.property(scenarioArb, ([s, certificates]) => {
        const fetchedAtMs = T0 + (s.policy?.fetchedOffset ?? 0);
        const policy: PlannerInput['policy'] = s.policy
          ? {
              fetchedAtMs,
              ...(s.policy.nextUpdateHours !== undefined ? { nextUpdateAtMs: fetchedAtMs + s.policy.nextUpdateHours * HOUR } : {}),
              ...(s.policy.failures > 0 ? { consecutiveFailures: s.policy.failures, lastAttemptAtMs: fetchedAtMs + HOUR } : {}),
            }
          : null;
        const atMs = T0 + s.atOffset;
        const options: PlanOptions = {
          ...(s.operation ? { operation: s.operation } : {}),
          ...(s.operation === 'renew' && s.force ? { force: true } : {}),
          ...(s.operation === 'renew' && s.reuseKeyFlag ? { reuseKey: true } : {}),
        };
        // `plan --at T`: the whole configuration planned at once, rendered as planDocument.
        const whole = plan({ hostId: s.hostId, policy, certificates }, atMs, options);
        const rows = certificates.map((c) => ({ id: c.id }) as StatusRow);
        const document = planDocument(rows, whole, atMs, true);

        for (const [index, c] of certificates.entries()) {
          // A pass at T: the agent plans each certificate on its own.
          const single = plan({ hostId: s.hostId, policy, certificates: [c] }, atMs, options).actions[0] as CertificateAction;
          const predicted = document.certificates[index]!;
          const wholeAction = whole.actions[index] as CertificateAction;
          const step = single.kind === 'skip' ? single.blocked : single;
          expect(predicted.action).toBe(step.kind);
          expect(predicted.reason).toBe(step.reason);
          expect(predicted.state).toBe(single.status);
          expect(planPredicts(predicted.action, predicted.when, atMs, wholeAction.kind === 'skip', s.operation)).toBe(passDoes(single, s.operation));
          if (ACTING.has(step.kind) && single.kind !== 'skip') expect(predicted.when).toBe(new Date(atMs).toISOString());
          expect(predicted.renewAt).toBe(single.renewAtMs === null ? null : new Date(single.renewAtMs).toISOString());

          // A predicted wait holds until its instant and is over at it.
          if (single.kind === 'wait' && s.operation === undefined && single.untilMs > atMs) {
            const before = plan({ hostId: s.hostId, policy, certificates: [c] }, single.untilMs - 1, options).actions[0] as CertificateAction;
            expect(passDoes(before, s.operation)).toBe('none');
            const at = plan({ hostId: s.hostId, policy, certificates: [c] }, single.untilMs, options).actions[0] as CertificateAction;
            expect(at.kind === 'wait' && at.reason === single.reason && at.untilMs === single.untilMs).toBe(false);
          }
        }
      }),
      { numRuns: 10_000 },
    );
  }, 120_000);
});
