import { describe, expect, it } from 'vitest';
import { backoffCapMs, backoffDelayMs, scheduleRetry } from '../../src/engine/backoff.js';
import { pendingPollIntervalMs } from '../../src/engine/pendingPoll.js';
import { plan } from '../../src/engine/planner.js';
import type { CertificateAction, CertificatePlanInput, PlanOptions } from '../../src/engine/plannerTypes.js';
import { DEFAULT_SCHEDULE } from '../../src/engine/scheduleSettings.js';
import { DAY, HOUR, MINUTE, SECOND, T0, cert, input, template } from './plannerFixtures.js';

function one(c: CertificatePlanInput, nowMs: number, options?: PlanOptions): CertificateAction {
  const [action] = plan(input([c]), nowMs, options).actions;
  if (!action) throw new Error('no action');
  return action;
}

const s = DEFAULT_SCHEDULE;

describe('backoff: exponential with full jitter, capped tighter near expiry', () => {
  it('the cap doubles per failure from the base up to the maximum', () => {
    const caps = [1, 2, 3, 4, 5, 8, 20, 1000].map((n) => backoffCapMs(n, undefined, s));
    expect(caps).toEqual([MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 128 * MINUTE, 4 * HOUR, 4 * HOUR]);
  });

  it('the cap never exceeds 10 % of the remaining validity, nor falls below the 30 s floor', () => {
    expect(backoffCapMs(20, 10 * HOUR, s)).toBe(HOUR);
    expect(backoffCapMs(20, 100 * MINUTE, s)).toBe(10 * MINUTE);
    expect(backoffCapMs(20, 100 * SECOND, s)).toBe(30 * SECOND);
    expect(backoffCapMs(20, 0, s)).toBe(30 * SECOND);
  });

  it('the delay is the draw times the cap, floored', () => {
    expect(backoffDelayMs(3, undefined, 0.5, s)).toBe(2 * MINUTE);
    expect(backoffDelayMs(3, undefined, 0, s)).toBe(30 * SECOND);
    expect(backoffDelayMs(3, undefined, 0.999999, s)).toBeLessThanOrEqual(4 * MINUTE);
  });

  it('scheduleRetry draws once with the injected random', () => {
    expect(scheduleRetry({ consecutiveFailures: 4, failedAtMs: T0 }, () => 0.25)).toBe(T0 + 2 * MINUTE);
    expect(scheduleRetry({ consecutiveFailures: 20, failedAtMs: T0, notAfterMs: T0 + 100 * MINUTE }, () => 0.5)).toBe(T0 + 5 * MINUTE);
  });
});

describe('failed attempts in the service (BACKING_OFF)', () => {
  const inWindow = T0 + 110 * SECOND;
  const longCert = (failures: CertificatePlanInput['failures']) =>
    cert({
      template: template({ renewalSeconds: 10 * 86400 }),
      current: { notBeforeMs: T0, notAfterMs: T0 + 30 * DAY, thumbprint: 'DD' },
      failures,
    });

  it('waits for a retry instant between the floor and the cap after the last attempt, then renews', () => {
    // After every host's slot: the window opens on day 20 and the slots end on day 26.
    const last = T0 + 27 * DAY;
    for (const failures of [1, 2, 3, 6, 12]) {
      const a = one(longCert({ consecutiveFailures: failures, lastAttemptAtMs: last }), last + 1);
      expect(a).toMatchObject({ kind: 'wait', reason: 'backing-off', status: 'BACKING_OFF' });
      const retryAt = a.timing.retryAtMs as number;
      expect(retryAt).toBe(a.nextEventMs);
      expect(retryAt - last).toBeGreaterThanOrEqual(30 * SECOND);
      expect(retryAt - last).toBeLessThanOrEqual(backoffCapMs(failures, 3 * DAY, s));
      expect(one(longCert({ consecutiveFailures: failures, lastAttemptAtMs: last }), retryAt)).toMatchObject({ kind: 'renew' });
    }
  });

  it('the retry instant is stable across re-plans and differs between hosts', () => {
    const c = longCert({ consecutiveFailures: 6, lastAttemptAtMs: T0 + 27 * DAY });
    const now = T0 + 27 * DAY + 1;
    const a = plan(input([c]), now).actions[0]?.timing.retryAtMs;
    expect(plan(input([c]), now + 10 * SECOND).actions[0]?.timing.retryAtMs).toBe(a);
    const others = new Set(['h1', 'h2', 'h3', 'h4', 'h5'].map((hostId) => plan(input([c], { hostId }), now).actions[0]?.timing.retryAtMs));
    expect(others.size).toBeGreaterThan(1);
  });

  it('honours a retry instant the executor already drew and stored', () => {
    const c = cert({ failures: { consecutiveFailures: 2, lastAttemptAtMs: inWindow - 5 * SECOND, nextAttemptAtMs: inWindow + 3 * SECOND } });
    expect(one(c, inWindow)).toMatchObject({ kind: 'wait', reason: 'backing-off', untilMs: inWindow + 3 * SECOND });
    expect(one(c, inWindow + 3 * SECOND)).toMatchObject({ kind: 'renew' });
  });

  it('a manual command tries now regardless of the backoff', () => {
    const c = cert({ failures: { consecutiveFailures: 9, lastAttemptAtMs: inWindow - 1, nextAttemptAtMs: inWindow + HOUR } });
    expect(one(c, inWindow, { operation: 'renew' })).toMatchObject({ kind: 'renew' });
  });

  it('initial enrollment backs off too, up to the absolute maximum', () => {
    const c = cert({ current: null, failures: { consecutiveFailures: 30, lastAttemptAtMs: T0 } });
    const a = one(c, T0 + 1);
    expect(a).toMatchObject({ kind: 'wait', reason: 'backing-off', status: 'BACKING_OFF' });
    expect((a.timing.retryAtMs as number) - T0).toBeLessThanOrEqual(4 * HOUR);
  });

  it('failures before the window do not hold back the planned instant (backoff starts once due)', () => {
    const c = cert({ failures: { consecutiveFailures: 1, lastAttemptAtMs: T0 } });
    expect(one(c, T0 + 10 * SECOND)).toMatchObject({ kind: 'wait', reason: 'before-renewal', status: 'VALID' });
  });
});

describe('pending requests (protocol.md §6.4)', () => {
  const submitted = T0 + 10 * SECOND;
  const pending = (lastPolledAtMs?: number) =>
    cert({ current: null, pending: { requestId: '42', submittedAtMs: submitted, kind: 'enroll', lastPolledAtMs } });

  it('polls every 15 minutes at first, growing to hourly as the request ages', () => {
    expect([0, 30 * MINUTE, 60 * MINUTE, 2 * HOUR, 4 * HOUR, 3 * DAY].map((age) => pendingPollIntervalMs(age, s))).toEqual([
      15 * MINUTE, 15 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, HOUR,
    ]);
  });

  it('waits for the next poll, then retrieves; status PENDING throughout', () => {
    expect(one(pending(), submitted + MINUTE)).toMatchObject({
      kind: 'wait', reason: 'pending-not-due', untilMs: submitted + 15 * MINUTE, status: 'PENDING',
    });
    expect(one(pending(), submitted + 15 * MINUTE)).toMatchObject({ kind: 'retrieve', requestId: '42', status: 'PENDING' });
    const polledLate = submitted + 5 * HOUR;
    expect(one(pending(polledLate), polledLate + MINUTE)).toMatchObject({ kind: 'wait', untilMs: polledLate + HOUR });
  });

  it('never submits a second request while one is pending, even with --force', () => {
    const withCert = cert({ pending: { requestId: '7', submittedAtMs: T0 + 100 * SECOND, kind: 'renew' } });
    for (const options of [{}, { operation: 'renew' as const, force: true }, { operation: 'enroll' as const }]) {
      const a = one(withCert, T0 + 101 * SECOND, options);
      const step = a.kind === 'skip' ? a.blocked : a;
      expect(['retrieve', 'wait']).toContain(step.kind);
      expect(a.status).toBe('PENDING');
    }
  });

  it('every one-shot command polls at once (none submits beside it); only the service keeps the cadence', () => {
    for (const operation of ['retrieve', 'pulse', 'enroll', 'renew'] as const) {
      expect(one(pending(), submitted + MINUTE, { operation })).toMatchObject({ kind: 'retrieve', status: 'PENDING' });
    }
  });

  it('gives up after pendingMaxAge (60 days by default, configurable)', () => {
    expect(one(pending(), submitted + 60 * DAY - 1)).toMatchObject({ status: 'PENDING' });
    const old = one(pending(), submitted + 60 * DAY);
    expect(old).toMatchObject({ kind: 'needs-attention', reason: 'pending-too-old', status: 'NEEDS_ATTENTION' });
    expect(old.kind === 'needs-attention' && old.message).toMatch(/42.*60 days/);
    expect(one(pending(), submitted + 2 * DAY, { schedule: { pendingMaxAgeMs: DAY } })).toMatchObject({ reason: 'pending-too-old' });
    expect(one(pending(), submitted + 90 * DAY, { operation: 'retrieve' })).toMatchObject({ kind: 'retrieve' });
  });

  it('the poll cadence is configurable', () => {
    expect(one(pending(), submitted + MINUTE, { schedule: { pendingInitialPollMs: 30 * SECOND } })).toMatchObject({ kind: 'retrieve' });
  });
});

describe('backoff of a renewal that keeps failing: re-spread, not on the exponential clock', () => {
  it('after three quick retries the ceiling is a tenth of the validity left, at most 3 days', () => {
    const quick = [1, 2, 3].map((n) => backoffCapMs(n, 30 * DAY, s));
    expect(quick).toEqual([MINUTE, 2 * MINUTE, 4 * MINUTE]);
    expect(backoffCapMs(4, 30 * DAY, s)).toBe(3 * DAY);
    expect(backoffCapMs(4, 10 * DAY, s)).toBe(DAY);
    expect(backoffCapMs(40, 10 * HOUR, s)).toBe(HOUR);
  });

  it('without a valid certificate (first enrollment, expired) the exponential cap of 4 h stays', () => {
    expect(backoffCapMs(4, undefined, s)).toBe(8 * MINUTE);
    expect(backoffCapMs(40, undefined, s)).toBe(4 * HOUR);
  });

  it('a renewal failing for the fourth time is retried somewhere in the next days, before expiry', () => {
    const failedAtMs = T0 + 10 * DAY;
    const notAfterMs = T0 + 30 * DAY;
    const retries = [0, 0.25, 0.5, 0.999].map((draw) => scheduleRetry({ consecutiveFailures: 4, failedAtMs, notAfterMs }, () => draw) - failedAtMs);
    expect(retries).toEqual([30 * SECOND, 0.5 * DAY, DAY, Math.floor(0.999 * 2 * DAY)]);
  });

  it('the settings are checked', () => {
    expect(() => plan(input([cert()]), T0, { schedule: { backoffSpreadAfterFailures: -1 } })).toThrow(RangeError);
    expect(() => plan(input([cert()]), T0, { schedule: { backoffSpreadAfterFailures: 1.5 } })).toThrow(RangeError);
    expect(() => plan(input([cert()]), T0, { schedule: { backoffSpreadMaxMs: 0 } })).toThrow(RangeError);
  });
});
