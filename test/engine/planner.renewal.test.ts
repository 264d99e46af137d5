import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine/planner.js';
import type { CertificateAction, CertificatePlanInput, PlanOptions } from '../../src/engine/plannerTypes.js';
import { DAY, HOUR, SECOND, T0, cert, input, template } from './plannerFixtures.js';

function one(c: CertificatePlanInput, nowMs: number, options?: PlanOptions): CertificateAction {
  const [action] = plan(input([c]), nowMs, options).actions;
  if (!action) throw new Error('no action');
  return action;
}

describe('renewal window (protocol.md §6.3 item 2)', () => {
  const c = cert();
  const renewAt = one(c, T0).renewAtMs as number;

  it('120 s certificate with a 40 s renewal period: window [80 s, 120 s), host slot in its first 60 % (jitter wrapped inside it)', () => {
    const a = one(c, T0);
    expect(a.timing.windowStartMs).toBe(T0 + 80 * SECOND);
    expect(a.timing.notAfterMs).toBe(T0 + 120 * SECOND);
    expect(renewAt).toBeGreaterThanOrEqual(T0 + 80 * SECOND);
    expect(renewAt).toBeLessThan(T0 + 80 * SECOND + 0.6 * 40 * SECOND);
  });

  it('does nothing at 60 s and just before the window; says when', () => {
    for (const t of [0, 60 * SECOND, 80 * SECOND - 1]) {
      const a = one(c, T0 + t);
      expect(a).toMatchObject({ kind: 'wait', reason: 'before-renewal', untilMs: renewAt, status: 'VALID', nextEventMs: renewAt });
    }
  });

  it('renews from the planned instant until expiry, not before it', () => {
    expect(renewAt).toBeGreaterThan(T0 + 80 * SECOND);
    expect(one(c, renewAt - 1)).toMatchObject({ kind: 'wait', status: 'RENEW_DUE', untilMs: renewAt });
    for (const t of [renewAt, renewAt + 1, T0 + 110 * SECOND, T0 + 120 * SECOND - 1]) {
      expect(one(c, t)).toMatchObject({ kind: 'renew', reason: 'in-window', reuseKey: false, status: 'RENEW_DUE', nextEventMs: t });
    }
  });

  it('a manual `renew` acts as soon as the window opens (no per-host slot), and not before', () => {
    expect(one(c, T0 + 80 * SECOND - 1, { operation: 'renew' })).toMatchObject({ kind: 'wait', untilMs: T0 + 80 * SECOND });
    expect(one(c, T0 + 80 * SECOND, { operation: 'renew' })).toMatchObject({ kind: 'renew', reason: 'in-window' });
    expect(one(c, T0 + 80 * SECOND, { operation: 'pulse' })).toMatchObject({ kind: 'renew' });
  });

  it('never opens before minRenewalFraction of the lifetime (default one half)', () => {
    const yearCert = cert({
      template: template({ validitySeconds: 365 * 86400, renewalSeconds: 300 * 86400 }),
      current: { notBeforeMs: T0, notAfterMs: T0 + 365 * DAY, thumbprint: 'AA' },
    });
    expect(one(yearCert, T0).timing.windowStartMs).toBe(T0 + 182.5 * DAY);
    const eighty = cert({ ...yearCert, configured: { minRenewalFraction: 0.8 } });
    expect(one(eighty, T0).timing.windowStartMs).toBe(T0 + 292 * DAY);
  });

  it('the configured renewal period wins over the template', () => {
    expect(one(cert({ configured: { renewalPeriodMs: 30 * SECOND } }), T0).timing.windowStartMs).toBe(T0 + 90 * SECOND);
  });

  it('is computed from the certificate dates, not the template validity (a CA may cut validity short)', () => {
    const truncated = cert({
      template: template({ validitySeconds: 365 * 86400, renewalSeconds: 42 * 86400 }),
      current: { notBeforeMs: T0, notAfterMs: T0 + 100 * DAY, thumbprint: 'BB' },
    });
    expect(one(truncated, T0).timing.windowStartMs).toBe(T0 + 58 * DAY);
  });
});

describe('renewal loop guard (protocol.md §6.3 item 2 guard)', () => {
  const inside = cert({ template: template({ renewalSeconds: 120 }) });

  it('a certificate issued inside its own window needs attention instead of renewing in a loop', () => {
    for (const t of [0, 60 * SECOND, 119 * SECOND]) {
      const a = one(inside, T0 + t);
      expect(a).toMatchObject({ kind: 'needs-attention', reason: 'issued-inside-window', status: 'NEEDS_ATTENTION', renewAtMs: null });
      expect(a.nextEventMs).toBe(T0 + 120 * SECOND);
    }
    expect(one(cert({ template: template({ renewalSeconds: 500 }) }), T0)).toMatchObject({ reason: 'issued-inside-window' });
  });

  it('--force renews it anyway', () => {
    expect(one(inside, T0 + 10 * SECOND, { operation: 'renew', force: true })).toMatchObject({ kind: 'renew', reason: 'forced' });
  });

  it('a minimum fraction of 1 leaves no window: attention, not a silent expiry', () => {
    expect(one(cert({ configured: { minRenewalFraction: 1 } }), T0)).toMatchObject({ kind: 'needs-attention', reason: 'empty-renewal-window' });
  });
});

describe('force and key reuse', () => {
  it('--force renews now, before the window and the minimum fraction', () => {
    expect(one(cert(), T0 + 1 * SECOND, { operation: 'renew', force: true })).toMatchObject({
      kind: 'renew', reason: 'forced', status: 'RENEW_DUE', nextEventMs: T0 + 1 * SECOND,
    });
  });

  it('--force ignores the backoff of earlier failures', () => {
    const failing = cert({ failures: { consecutiveFailures: 5, lastAttemptAtMs: T0, nextAttemptAtMs: T0 + HOUR } });
    expect(one(failing, T0 + SECOND, { operation: 'renew', force: true })).toMatchObject({ kind: 'renew', reason: 'forced' });
  });

  it('reuseKey comes from the config, --reuse-key overrides it, and CT_FLAG_REQUIRE_SAME_KEY_RENEWAL forces it', () => {
    const t = T0 + 119 * SECOND;
    expect(one(cert({ configured: { reuseKey: true } }), t)).toMatchObject({ kind: 'renew', reuseKey: true });
    expect(one(cert(), t, { operation: 'renew', reuseKey: true })).toMatchObject({ kind: 'renew', reuseKey: true });
    const sameKey = one(cert({ template: template({ flags: { requireSameKeyRenewal: true } }) }), t);
    expect(sameKey).toMatchObject({ kind: 'renew', reuseKey: true });
    expect(sameKey.warnings.join()).toMatch(/same key/);
  });
});

describe('renewal path (protocol.md §7.2, §5)', () => {
  const t = T0 + 119 * SECOND;

  it('without a key-based renewal endpoint, re-enrolls with credentials', () => {
    expect(one(cert({ endpoints: { keyBasedRenewal: false } }), t)).toMatchObject({
      kind: 're-enroll', reason: 'renewal-impossible', targetTemplate: 'KBRComputer', status: 'RENEW_DUE',
    });
  });

  it('when the template does not allow key-based renewal, re-enrolls with credentials', () => {
    expect(one(cert({ template: template({ flags: { allowKeyBasedRenewal: false } }) }), t)).toMatchObject({ kind: 're-enroll', reason: 'renewal-impossible' });
  });

  it('with neither path, needs attention (and wakes at expiry to report it)', () => {
    const a = one(cert({ endpoints: { keyBasedRenewal: false }, passwordCredentials: false }), t);
    expect(a).toMatchObject({ kind: 'needs-attention', reason: 'no-renewal-path', status: 'NEEDS_ATTENTION', nextEventMs: T0 + 120 * SECOND });
  });
});

describe('CT_FLAG_SKIP_AUTO_RENEWAL (protocol.md §6.3 item 1)', () => {
  const skip = cert({ template: template({ flags: { skipAutoRenewal: true } }) });

  it('the service and pulse leave it alone until expiry', () => {
    for (const options of [{}, { operation: 'pulse' as const }]) {
      const a = one(skip, T0 + 100 * SECOND, options);
      expect(a).toMatchObject({ kind: 'wait', reason: 'skip-auto-renewal', untilMs: T0 + 120 * SECOND, status: 'VALID' });
      expect(a.warnings.join()).toMatch(/disables automatic renewal/);
    }
  });

  it('an explicit renew still renews it inside the window', () => {
    expect(one(skip, T0 + 100 * SECOND, { operation: 'renew' })).toMatchObject({ kind: 'renew' });
  });
});

describe('plan --at', () => {
  const yearCert = cert({
    template: template({ validitySeconds: 365 * 86400, renewalSeconds: 42 * 86400 }),
    current: { notBeforeMs: T0, notAfterMs: T0 + 365 * DAY, thumbprint: 'CC' },
  });

  it('shows what the pass would do at a later instant without anything else changing', () => {
    const today = one(yearCert, T0 + DAY);
    expect(today).toMatchObject({ kind: 'wait', status: 'VALID' });
    const atRenewal = one(yearCert, today.renewAtMs as number);
    expect(atRenewal).toMatchObject({ kind: 'renew', status: 'RENEW_DUE', renewAtMs: today.renewAtMs });
    expect(one(yearCert, T0 + 366 * DAY)).toMatchObject({ kind: 're-enroll', reason: 'expired', status: 'EXPIRED' });
  });

  it('status, plan and the service agree: a re-plan at the planned instant finds the renewal due', () => {
    const first = plan(input([yearCert]), T0);
    const again = plan(input([yearCert]), T0 + 3 * HOUR);
    expect(again.actions[0]?.renewAtMs).toBe(first.actions[0]?.renewAtMs);
    const woken = plan(input([yearCert]), first.actions[0]?.nextEventMs as number);
    expect(woken.actions[0]?.kind).toBe('renew');
  });
});
