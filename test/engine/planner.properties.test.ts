import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCapMs, backoffDelayMs } from '../../src/engine/backoff.js';
import { plan } from '../../src/engine/planner.js';
import type { CertificatePlanInput, PlanOperation } from '../../src/engine/plannerTypes.js';
import { DEFAULT_SCHEDULE } from '../../src/engine/scheduleSettings.js';
import { DAY, T0, cert, input, template } from './plannerFixtures.js';

const thumbprint = fc.stringMatching(/^[0-9A-F]{40}$/);
const hostId = fc.string({ minLength: 1, maxLength: 40 });

/** A certificate profile with a renewal period shorter than its lifetime. */
const profile = fc.record({
  notBeforeMs: fc.integer({ min: T0 - 3650 * DAY, max: T0 + 3650 * DAY }),
  lifetimeMs: fc.integer({ min: 10_000, max: 5 * 365 * DAY }),
  periodFraction: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
  minRenewalFraction: fc.double({ min: 0, max: 0.95, noNaN: true }),
  thumbprint,
});

describe('properties of the renewal instant', () => {
  it('always lies inside [windowStart, notAfter), within the spread part, and the window honours both bounds', () => {
    fc.assert(
      fc.property(profile, hostId, fc.string({ minLength: 1, maxLength: 20 }), (p, host, id) => {
        const notAfterMs = p.notBeforeMs + p.lifetimeMs;
        const periodMs = Math.max(1, Math.floor(p.lifetimeMs * p.periodFraction));
        const c = cert({
          id,
          configured: { renewalPeriodMs: periodMs, minRenewalFraction: p.minRenewalFraction },
          current: { notBeforeMs: p.notBeforeMs, notAfterMs, thumbprint: p.thumbprint },
        });
        const [a] = plan(input([c], { hostId: host }), p.notBeforeMs).actions;
        if (!a || a.renewAtMs === null || a.timing.windowStartMs === null) {
          expect(a?.kind === 'needs-attention' && a.reason).toBe('empty-renewal-window');
          return;
        }
        const start = a.timing.windowStartMs;
        expect(start).toBeGreaterThanOrEqual(notAfterMs - periodMs);
        expect(start).toBeGreaterThanOrEqual(p.notBeforeMs + p.minRenewalFraction * p.lifetimeMs);
        expect(a.renewAtMs).toBeGreaterThanOrEqual(start);
        expect(a.renewAtMs).toBeLessThan(notAfterMs);
        const spreadEnd = start + (DEFAULT_SCHEDULE.spreadFraction + DEFAULT_SCHEDULE.jitterFraction) * (notAfterMs - start);
        expect(a.renewAtMs).toBeLessThanOrEqual(spreadEnd);
      }),
      { numRuns: 500 },
    );
  });

  it('a scheduled pass renews exactly from the planned instant until expiry', () => {
    fc.assert(
      fc.property(profile, hostId, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (p, host, where) => {
        const notAfterMs = p.notBeforeMs + p.lifetimeMs;
        const c = cert({
          configured: { renewalPeriodMs: Math.max(1, Math.floor(p.lifetimeMs * p.periodFraction)), minRenewalFraction: p.minRenewalFraction },
          current: { notBeforeMs: p.notBeforeMs, notAfterMs, thumbprint: p.thumbprint },
        });
        const renewAtMs = plan(input([c], { hostId: host }), p.notBeforeMs).actions[0]?.renewAtMs;
        if (renewAtMs == null) return;
        const now = p.notBeforeMs + Math.floor(where * p.lifetimeMs);
        const kind = plan(input([c], { hostId: host }), now).actions[0]?.kind;
        expect(kind).toBe(now >= renewAtMs ? 'renew' : 'wait');
      }),
      { numRuns: 300 },
    );
  });
});

describe('properties of the backoff', () => {
  const settings = DEFAULT_SCHEDULE;
  const remaining = fc.option(fc.integer({ min: 0, max: 400 * DAY }), { nil: undefined });

  it('the delay never exceeds its cap, nor goes below the floor; the cap tightens with the remaining validity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), remaining, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (n, rest, draw) => {
        const cap = backoffCapMs(n, rest, settings);
        const delay = backoffDelayMs(n, rest, draw, settings);
        expect(delay).toBeLessThanOrEqual(cap);
        expect(delay).toBeGreaterThanOrEqual(settings.backoffFloorMs);
        // A still-valid certificate that keeps failing is re-spread over up to backoffSpreadMaxMs.
        const spreading = rest !== undefined && n > settings.backoffSpreadAfterFailures;
        expect(cap).toBeLessThanOrEqual(spreading ? settings.backoffSpreadMaxMs : settings.backoffMaxMs);
        if (rest !== undefined) expect(cap).toBeLessThanOrEqual(Math.max(settings.backoffFloorMs, rest * settings.backoffRemainingFraction));
        expect(backoffCapMs(n + 1, rest, settings)).toBeGreaterThanOrEqual(cap);
      }),
      { numRuns: 1000 },
    );
  });

  it('a planned retry is never later than the cap after the last attempt', () => {
    fc.assert(
      // Attempts after every host's slot (the window opens at T0 + 1 day, slots end by T0 + 18.4 days).
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 19 * DAY, max: 30 * DAY - 1 }), hostId, (n, attemptOffset, host) => {
        const last = T0 + attemptOffset;
        const c = cert({
          template: template({ renewalSeconds: 29 * 86400 }),
          current: { notBeforeMs: T0 - 31 * DAY, notAfterMs: T0 + 30 * DAY, thumbprint: 'AB' },
          failures: { consecutiveFailures: n, lastAttemptAtMs: last },
        });
        const a = plan(input([c], { hostId: host }), last).actions[0];
        expect(a).toMatchObject({ kind: 'wait', reason: 'backing-off' });
        const retryAt = a?.timing.retryAtMs as number;
        expect(retryAt - last).toBeLessThanOrEqual(backoffCapMs(n, T0 + 30 * DAY - last, settings));
        expect(retryAt - last).toBeGreaterThanOrEqual(settings.backoffFloorMs);
      }),
      { numRuns: 300 },
    );
  });
});

/** Any certificate state the executor could hand over. */
const anyCertificate: fc.Arbitrary<CertificatePlanInput> = fc
  .record({
    hasCert: fc.boolean(),
    lifetimeMs: fc.integer({ min: 60_000, max: 400 * DAY }),
    renewalSeconds: fc.integer({ min: 1, max: 500 * 86400 }),
    pending: fc.option(fc.record({ requestId: fc.string({ minLength: 1 }), age: fc.integer({ min: 0, max: 90 * DAY }) }), { nil: undefined }),
    failures: fc.integer({ min: 0, max: 12 }),
    lastAttemptAgo: fc.integer({ min: 0, max: 10 * DAY }),
    passwordCredentials: fc.boolean(),
    kbr: fc.boolean(),
    allowKbr: fc.boolean(),
    skip: fc.boolean(),
    superseded: fc.boolean(),
    templateListed: fc.boolean(),
    thumbprint,
  })
  .map((r) =>
    cert({
      passwordCredentials: r.passwordCredentials,
      endpoints: { keyBasedRenewal: r.kbr },
      template: r.templateListed
        ? template({ renewalSeconds: r.renewalSeconds, supersededBy: r.superseded ? 'Next' : undefined, flags: { allowKeyBasedRenewal: r.allowKbr, skipAutoRenewal: r.skip } })
        : null,
      current: r.hasCert ? { notBeforeMs: T0, notAfterMs: T0 + r.lifetimeMs, thumbprint: r.thumbprint } : null,
      pending: r.pending ? { requestId: r.pending.requestId, submittedAtMs: T0 + 10 * DAY - r.pending.age, kind: 'enroll' } : null,
      failures: { consecutiveFailures: r.failures, lastAttemptAtMs: r.failures > 0 ? T0 + 10 * DAY - r.lastAttemptAgo : undefined },
    }),
  );

describe('properties of whole plans', () => {
  const operation = fc.constantFrom<PlanOperation | undefined>(undefined, 'enroll', 'renew', 'retrieve', 'pulse');
  const now = fc.integer({ min: T0, max: T0 + 500 * DAY });

  it('deterministic, one action per certificate, never a submission beside a pending request, and coherent timing', () => {
    fc.assert(
      fc.property(fc.array(anyCertificate, { maxLength: 5 }), now, operation, fc.boolean(), (certs, at, op, force) => {
        const options = { operation: op, force };
        const result = plan(input(certs), at, options);
        expect(plan(input(certs), at, options)).toEqual(result);
        expect(result.actions).toHaveLength(certs.length);
        certs.forEach((c, i) => {
          const a = result.actions[i];
          if (!a) throw new Error('missing action');
          const step = a.kind === 'skip' ? a.blocked : a;
          if (c.pending) expect(['retrieve', 'wait', 'needs-attention']).toContain(step.kind);
          if (a.kind === 'wait') expect(a.untilMs).toBeGreaterThan(at);
          if (a.nextEventMs !== null) {
            expect(a.nextEventMs).toBeGreaterThanOrEqual(at);
            expect(result.nextWakeAtMs).toBeLessThanOrEqual(a.nextEventMs);
          }
          if (c.current && !c.pending && at >= c.current.notAfterMs) expect(a.status).toBe('EXPIRED');
          if (a.kind === 'renew' && !force && op === undefined) {
            expect(a.renewAtMs).not.toBeNull();
            expect(at).toBeGreaterThanOrEqual(a.renewAtMs as number);
          }
        });
        expect(result.nextWakeAtMs).toBeLessThanOrEqual(result.policyRefreshAtMs);
      }),
      { numRuns: 400 },
    );
  });

  it('the service makes progress: re-planned at a wait\'s instant, the same wait is not repeated', () => {
    fc.assert(
      fc.property(anyCertificate, now, (c, at) => {
        const a = plan(input([c]), at).actions[0];
        if (a?.kind !== 'wait') return;
        const next = plan(input([c]), a.untilMs).actions[0];
        expect(next?.kind === 'wait' && next.reason === a.reason && next.untilMs === a.untilMs).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
