import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine/planner.js';
import type { CertificateAction, CertificatePlanInput, PlanOptions, PlannerInput } from '../../src/engine/plannerTypes.js';
import { HOUR, MINUTE, SECOND, T0, cert, input, template } from './plannerFixtures.js';

function one(c: CertificatePlanInput, nowMs: number, options?: PlanOptions, overrides?: Partial<PlannerInput>): CertificateAction {
  const [action] = plan(input([c], overrides), nowMs, options).actions;
  if (!action) throw new Error('no action');
  return action;
}

describe('first certificate (protocol.md §6.3 item 6)', () => {
  it('no certificate and no pending request: enroll with credentials (NEW)', () => {
    expect(one(cert({ current: null }), T0)).toMatchObject({
      kind: 'enroll', reason: 'no-certificate', targetTemplate: 'KBRComputer', status: 'NEW', renewAtMs: null, nextEventMs: T0,
    });
  });

  it('enrolls for the superseding template when the configured one is superseded', () => {
    expect(one(cert({ current: null, template: template({ supersededBy: 'KBRComputerV2' }) }), T0)).toMatchObject({
      kind: 'enroll', targetTemplate: 'KBRComputerV2',
    });
  });

  it('without password credentials, or without a username CES in the policy, needs attention', () => {
    const noCreds = one(cert({ current: null, passwordCredentials: false }), T0);
    expect(noCreds).toMatchObject({ kind: 'needs-attention', reason: 'no-credentials', status: 'NEEDS_ATTENTION', nextEventMs: null });
    const noCes = one(cert({ current: null, endpoints: { usernameEnrollment: false } }), T0);
    expect(noCes.kind === 'needs-attention' && noCes.message).toMatch(/enrollment service \(CES\)/);
  });

  it('a template missing from the policy needs attention with a clear reason', () => {
    const a = one(cert({ current: null, template: null }), T0);
    expect(a).toMatchObject({ kind: 'needs-attention', reason: 'template-not-in-policy', status: 'NEEDS_ATTENTION' });
    expect(a.kind === 'needs-attention' && a.message).toMatch(/"KBRComputer" is not in the enrollment policy/);
  });

  it('a fresh install (no policy asked for yet) is NEW: the next pass fetches the policy, then enrolls', () => {
    const fresh = one(cert({ current: null, template: null }), T0, {}, { policy: null });
    expect(fresh).toMatchObject({ kind: 'enroll', reason: 'no-certificate', targetTemplate: 'KBRComputer', status: 'NEW', nextEventMs: T0 });
    expect(fresh.warnings).toEqual(['no enrollment policy has been fetched yet: the next pass fetches it, then enrolls']);
    // Without credentials there is nothing the next pass could enroll with.
    expect(one(cert({ current: null, template: null, passwordCredentials: false }), T0, {}, { policy: null })).toMatchObject({ reason: 'no-credentials', status: 'NEEDS_ATTENTION' });
  });

  it('after a pass that failed to get a policy it needs attention', () => {
    const failed = { consecutiveFailures: 1, lastAttemptAtMs: T0 - MINUTE };
    expect(one(cert({ current: null, template: null }), T0, {}, { policy: failed })).toMatchObject({ kind: 'needs-attention', reason: 'no-policy', status: 'NEEDS_ATTENTION' });
    // A one-shot command sees the attempt without its backoff.
    expect(one(cert({ current: null, template: null }), T0, { operation: 'enroll' }, { policy: {} })).toMatchObject({ reason: 'no-policy' });
  });

  it('a valid certificate whose template left the policy needs attention, and wakes at expiry', () => {
    expect(one(cert({ template: null }), T0 + 100 * SECOND)).toMatchObject({
      kind: 'needs-attention', reason: 'template-not-in-policy', status: 'NEEDS_ATTENTION', nextEventMs: T0 + 120 * SECOND,
    });
  });
});

describe('expired certificate (protocol.md §6.3 item 5)', () => {
  const expiredAt = T0 + 120 * SECOND;

  it('EXPIRED: re-enrolls with credentials', () => {
    for (const t of [expiredAt, expiredAt + HOUR]) {
      expect(one(cert(), t)).toMatchObject({ kind: 're-enroll', reason: 'expired', targetTemplate: 'KBRComputer', status: 'EXPIRED' });
    }
  });

  it('EXPIRED without credentials: needs attention, nothing to wake for', () => {
    const a = one(cert({ passwordCredentials: false }), expiredAt);
    expect(a).toMatchObject({ kind: 'needs-attention', reason: 'expired-no-credentials', status: 'EXPIRED', nextEventMs: null });
    expect(a.kind === 'needs-attention' && a.message).toMatch(/key-based renewal is impossible/);
  });

  it('`renew` does not turn into a new enrollment (exit 7 is the caller\'s); `enroll` recovers it', () => {
    expect(one(cert(), expiredAt, { operation: 'renew', force: true })).toMatchObject({
      kind: 'skip', blocked: { kind: 're-enroll', reason: 'expired' }, status: 'EXPIRED',
    });
    expect(one(cert(), expiredAt, { operation: 'enroll' })).toMatchObject({ kind: 're-enroll', reason: 'expired' });
  });

  it('repeated failures to re-enroll back off but keep reporting EXPIRED', () => {
    const a = one(cert({ failures: { consecutiveFailures: 3, lastAttemptAtMs: expiredAt } }), expiredAt + 1);
    expect(a).toMatchObject({ kind: 'wait', reason: 'backing-off', status: 'EXPIRED' });
  });
});

describe('template identity changes (protocol.md §6.3 items 3 and 4)', () => {
  const early = T0 + 10 * SECOND;

  it('superseded template: re-enrolls for the superseding one at once, with credentials', () => {
    expect(one(cert({ template: template({ supersededBy: 'KBRComputerV2' }) }), early)).toMatchObject({
      kind: 're-enroll', reason: 'superseded', targetTemplate: 'KBRComputerV2', status: 'RENEW_DUE',
    });
  });

  it('superseded without credentials: keeps renewing from the old template, with a warning', () => {
    const a = one(cert({ passwordCredentials: false, template: template({ supersededBy: 'KBRComputerV2' }) }), early);
    expect(a).toMatchObject({ kind: 'wait', reason: 'before-renewal', status: 'VALID' });
    expect(a.warnings.join()).toMatch(/superseded by "KBRComputerV2"/);
  });

  it('a certificate already from the superseding template is not re-enrolled again', () => {
    const moved = cert({
      template: template({ supersededBy: 'KBRComputerV2', supersededByOid: '1.2.3.9' }),
      current: { notBeforeMs: T0, notAfterMs: T0 + 120 * SECOND, templateOid: '1.2.3.9', thumbprint: 'EE' },
    });
    const a = one(moved, early);
    expect(a).toMatchObject({ kind: 'wait', reason: 'before-renewal' });
    expect(a.warnings.join()).toMatch(/update the config/);
  });

  it('a newer major revision re-enrolls holders (unless turned off)', () => {
    const updated = cert({ template: template({ majorRevision: 101 }) });
    expect(one(updated, early)).toMatchObject({ kind: 're-enroll', reason: 'template-updated', targetTemplate: 'KBRComputer' });
    expect(one(updated, early, { schedule: { reenrollOnTemplateUpdate: false } })).toMatchObject({ kind: 'wait' });
    expect(one(cert({ template: template({ majorRevision: 99 }) }), early)).toMatchObject({ kind: 'wait' });
  });

  it('a certificate from another template than the configured one: re-enroll, or attention without credentials', () => {
    const other = { notBeforeMs: T0, notAfterMs: T0 + 120 * SECOND, templateOid: '1.2.3.4.5', thumbprint: 'FF' };
    expect(one(cert({ current: other }), early)).toMatchObject({ kind: 're-enroll', reason: 'template-changed' });
    expect(one(cert({ current: other, passwordCredentials: false }), early)).toMatchObject({
      kind: 'needs-attention', reason: 'no-credentials',
    });
  });
});

describe('operation filter (one-shot commands)', () => {
  it('`retrieve` touches nothing but pending requests', () => {
    expect(one(cert(), T0 + 119 * SECOND, { operation: 'retrieve' })).toMatchObject({ kind: 'skip', blocked: { kind: 'renew' }, status: 'RENEW_DUE' });
    expect(one(cert({ current: null }), T0, { operation: 'retrieve' })).toMatchObject({ kind: 'skip', blocked: { kind: 'enroll' }, status: 'NEW' });
  });

  it('`enroll` does not renew; with a valid certificate before its window there is nothing to do', () => {
    expect(one(cert(), T0 + 119 * SECOND, { operation: 'enroll' })).toMatchObject({ kind: 'skip', blocked: { kind: 'renew' } });
    expect(one(cert(), T0 + 10 * SECOND, { operation: 'enroll' })).toMatchObject({ kind: 'wait', status: 'VALID' });
  });

  it('`renew` does not enroll a certificate that has none', () => {
    expect(one(cert({ current: null }), T0, { operation: 'renew', force: true })).toMatchObject({ kind: 'skip', blocked: { kind: 'enroll' } });
  });
});

describe('policy refresh and the next wake-up (protocol.md §2.4)', () => {
  const quiet = cert();
  it('refreshes at nextUpdate, 8 h after the fetch when the server gave none, at once without a policy or on pulse', () => {
    expect(plan(input([quiet]), T0).policyRefreshAtMs).toBe(T0 + 8 * HOUR);
    expect(plan(input([quiet], { policy: { fetchedAtMs: T0 - HOUR } }), T0).policyRefreshAtMs).toBe(T0 + 7 * HOUR);
    expect(plan(input([quiet], { policy: null }), T0).policyRefreshAtMs).toBe(T0);
    expect(plan(input([quiet]), T0, { operation: 'pulse' }).policyRefreshAtMs).toBe(T0);
  });

  it('backs off while every policy server fails, without busy-looping on a stale cache', () => {
    const policy = { fetchedAtMs: T0 - 10 * HOUR, nextUpdateAtMs: T0 - 2 * HOUR, consecutiveFailures: 3, lastAttemptAtMs: T0 };
    const at = plan(input([quiet], { policy }), T0 + 1).policyRefreshAtMs;
    expect(at).toBeGreaterThanOrEqual(T0 + 30 * SECOND);
    expect(at).toBeLessThanOrEqual(T0 + 4 * MINUTE);
    expect(plan(input([quiet], { policy: { consecutiveFailures: 1, lastAttemptAtMs: T0 } }), T0 + 1).policyRefreshAtMs).toBeGreaterThan(T0 + 1);
  });

  it('nextWakeAt is the earliest certificate event or policy refresh', () => {
    const later = cert({ id: 'later', current: { notBeforeMs: T0, notAfterMs: T0 + 240 * SECOND, thumbprint: '01' } });
    const result = plan(input([later, quiet]), T0);
    const events = result.actions.map((a) => a.nextEventMs as number);
    expect(result.nextWakeAtMs).toBe(Math.min(...events));
    expect(result.nextWakeAtMs).toBe(result.actions[1]?.renewAtMs);
    const noCerts = plan(input([]), T0);
    expect(noCerts.nextWakeAtMs).toBe(T0 + 8 * HOUR);
    expect(plan(input([cert({ current: null })]), T0).nextWakeAtMs).toBe(T0);
  });

  it('certificates that need attention do not keep the service awake', () => {
    const stuck = cert({ current: null, passwordCredentials: false });
    expect(plan(input([stuck]), T0).nextWakeAtMs).toBe(T0 + 8 * HOUR);
  });
});

describe('determinism', () => {
  it('the same input and instant give the same plan', () => {
    const certs = [cert(), cert({ id: 'b', current: null }), cert({ id: 'c', pending: { requestId: '9', submittedAtMs: T0, kind: 'enroll' } })];
    expect(plan(input(certs), T0 + 90 * SECOND)).toEqual(plan(input(certs), T0 + 90 * SECOND));
  });

  it('rejects settings that would put the planned instant outside the window', () => {
    expect(() => plan(input([cert()]), T0, { schedule: { spreadFraction: 0.9, jitterFraction: 0.1 } })).toThrow(RangeError);
    expect(() => plan(input([cert()]), T0, { schedule: { backoffFloorMs: -1 } })).toThrow(RangeError);
  });
});
