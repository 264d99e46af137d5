import { describe, expect, it } from 'vitest';
import { deriveNotifications, EMPTY_MEMORY, nextThresholdAt } from '../../src/engine/notificationEvents.js';
import type { CertificateFacts, NotificationMemory, NotificationSettings } from '../../src/engine/notificationEvents.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');
const settings: NotificationSettings = { expiringBeforeMs: [7 * DAY, 1 * DAY], repeatMs: DAY };

const healthy = (over: Partial<CertificateFacts> = {}): CertificateFacts => ({
  id: 'web',
  status: 'VALID',
  thumbprint: 'AA',
  serial: '01',
  notAfterMs: T0 + 90 * DAY,
  notBeforeMs: T0 - 300 * DAY,
  renewAtMs: T0 + 60 * DAY,
  generation: 1,
  previousThumbprint: null,
  installedThisPass: false,
  consecutiveFailures: 0,
  error: null,
  attentionMessage: null,
  pending: null,
  ...over,
});
const failing = (n: number, code = 'UNREACHABLE', over: Partial<CertificateFacts> = {}): CertificateFacts =>
  healthy({ status: 'BACKING_OFF', consecutiveFailures: n, error: { code, message: `every endpoint failed (${code})` }, ...over });

/** Runs a sequence of (facts, now) through the derivation, returning the event types per step. */
function run(steps: Array<[CertificateFacts, number]>, start: NotificationMemory | null = null): { types: string[][]; memory: NotificationMemory | null } {
  let memory = start;
  const types: string[][] = [];
  for (const [facts, now] of steps) {
    const out = deriveNotifications(memory, facts, now, settings);
    types.push(out.events.map((e) => e.type));
    memory = out.memory;
  }
  return { types, memory };
}

describe('notification events', () => {
  it('a healthy certificate seen again and again announces nothing', () => {
    expect(run([[healthy(), T0], [healthy(), T0 + 1000], [healthy(), T0 + DAY]]).types).toEqual([[], [], []]);
  });

  it('an existing certificate seen for the first time is not announced as installed; one installed by the pass is', () => {
    expect(run([[healthy(), T0]], null).types).toEqual([[]]);
    expect(run([[healthy({ installedThisPass: true }), T0]], null).types).toEqual([['installed']]);
  });

  it('a new thumbprint is announced once as installed', () => {
    const r = run([[healthy(), T0], [healthy({ thumbprint: 'BB', previousThumbprint: 'AA', generation: 2 }), T0 + 1], [healthy({ thumbprint: 'BB' }), T0 + 2]]);
    expect(r.types).toEqual([[], ['installed'], []]);
  });

  it('ten failing passes: one renewal-failing, then recovered when it heals', () => {
    const steps: Array<[CertificateFacts, number]> = [[healthy(), T0]];
    for (let i = 1; i <= 10; i++) steps.push([failing(i), T0 + i * 60_000]);
    steps.push([healthy({ thumbprint: 'BB', installedThisPass: true }), T0 + 11 * 60_000]);
    steps.push([healthy({ thumbprint: 'BB' }), T0 + 12 * 60_000]);
    const { types } = run(steps);
    expect(types.flat().filter((t) => t === 'renewal-failing')).toHaveLength(1);
    expect(types[1]).toEqual(['renewal-failing']);
    expect(types[11]).toEqual(['installed', 'recovered']);
    expect(types[12]).toEqual([]);
  });

  it('a failure streak is announced again when its cause changes, and daily while it lasts', () => {
    const r = run([
      [failing(1), T0],
      [failing(2), T0 + 3600_000],
      [failing(3, 'DENIED'), T0 + 2 * 3600_000],
      [failing(4, 'DENIED'), T0 + 2 * 3600_000 + DAY - 1],
      [failing(5, 'DENIED'), T0 + 2 * 3600_000 + DAY],
    ]);
    expect(r.types).toEqual([['renewal-failing'], [], ['renewal-failing'], [], ['renewal-failing']]);
    const last = deriveNotifications(null, failing(1), T0, settings).events[0]!;
    expect(last).toMatchObject({ certificateId: 'web', consecutiveFailures: 1, error: { code: 'UNREACHABLE' }, repeated: false });
  });

  it('the cause key, when given, decides whether the cause changed (not the flapping error code)', () => {
    const r = run([
      [failing(1, 'CONNECTION_RESET', { causeKey: 'UNREACHABLE:CONNECTION_RESET,TLS' }), T0],
      [failing(2, 'TLS', { causeKey: 'UNREACHABLE:CONNECTION_RESET,TLS' }), T0 + 1],
      [failing(3, 'TLS', { causeKey: 'UNREACHABLE:TLS' }), T0 + 2],
    ]);
    expect(r.types).toEqual([['renewal-failing'], [], ['renewal-failing']]);
  });

  it('recovered only follows an announced problem', () => {
    expect(run([[healthy(), T0], [healthy({ status: 'RENEW_DUE' }), T0 + 1]]).types).toEqual([[], []]);
    // A failure with no error recorded is not announced, so nothing to recover from.
    expect(run([[healthy({ consecutiveFailures: 1 }), T0], [healthy(), T0 + 1]]).types).toEqual([[], []]);
  });

  it('a first enrollment that fails and then succeeds: renewal-failing, then installed + recovered', () => {
    const r = run([
      [failing(1, 'UNREACHABLE', { thumbprint: null, notAfterMs: null, status: 'BACKING_OFF' }), T0],
      [healthy({ installedThisPass: true }), T0 + 60_000],
    ]);
    expect(r.types).toEqual([['renewal-failing'], ['installed', 'recovered']]);
  });

  it('pending-approval once per RequestID, daily while pending, with its age; cleared when retrieved', () => {
    const pending = (requestId: string, submittedAtMs = T0): CertificateFacts =>
      healthy({ status: 'PENDING', thumbprint: null, notAfterMs: null, pending: { requestId, ca: 'LAB-ISSUING-CA', endpoint: 'https://ces/x', submittedAtMs } });
    const r = run([
      [pending('7'), T0 + 1000],
      [pending('7'), T0 + 3600_000],
      [pending('7'), T0 + DAY + 1000],
      [pending('8', T0 + DAY + 2000), T0 + DAY + 3000],
      [healthy({ installedThisPass: true }), T0 + DAY + 4000],
    ]);
    expect(r.types).toEqual([['pending-approval'], [], ['pending-approval'], ['pending-approval'], ['installed']]);
    const first = deriveNotifications(null, pending('7'), T0 + 90_000, settings).events[0]!;
    expect(first.pending).toEqual({ requestId: '7', ca: 'LAB-ISSUING-CA', endpoint: 'https://ces/x', submittedAt: new Date(T0).toISOString(), ageSeconds: 90 });
    const waiting = run([[pending('8', T0), T0 + 1000]]).memory;
    const repeated = deriveNotifications(waiting, pending('8', T0), T0 + DAY + 1000, settings).events[0]!;
    expect(repeated).toMatchObject({ type: 'pending-approval', repeated: true });
  });

  it('expiring once per threshold crossed, the smallest one when a pass skips over several', () => {
    const notAfter = T0 + 10 * DAY;
    const cert = healthy({ notAfterMs: notAfter, status: 'RENEW_DUE' });
    const r = run([
      [cert, notAfter - 8 * DAY],
      [cert, notAfter - 7 * DAY],
      [cert, notAfter - 6 * DAY],
      [cert, notAfter - DAY - 1],
      [cert, notAfter - DAY / 2],
    ]);
    expect(r.types).toEqual([[], ['expiring'], [], [], ['expiring']]);
    const skipped = deriveNotifications(null, cert, notAfter - 3600_000, settings);
    expect(skipped.events.map((e) => [e.type, e.thresholdSeconds, e.secondsLeft])).toEqual([['expiring', 86400, 3600]]);
    expect(deriveNotifications(skipped.memory, cert, notAfter - 60_000, settings).events).toEqual([]);
  });

  it('thresholds as long as the lifetime do not count (a 1-day certificate is not news at 7 d and 1 d)', () => {
    const day = healthy({ notBeforeMs: T0, notAfterMs: T0 + DAY, installedThisPass: true });
    expect(run([[day, T0 + 1000], [day, T0 + DAY / 2]], null).types).toEqual([['installed'], []]);
    const week = healthy({ notBeforeMs: T0, notAfterMs: T0 + 7 * DAY });
    expect(run([[week, T0], [week, T0 + 6 * DAY + 1]], null).types).toEqual([[], ['expiring']]);
    expect(nextThresholdAt(day, null, T0, settings)).toBe(T0 + DAY);
  });

  it('a renewed certificate starts its thresholds afresh', () => {
    const notAfter = T0 + 10 * DAY;
    const r = run([
      [healthy({ notAfterMs: notAfter }), notAfter - 6 * DAY],
      [healthy({ thumbprint: 'BB', notAfterMs: notAfter + 90 * DAY }), notAfter - 5 * DAY],
      [healthy({ thumbprint: 'CC', notAfterMs: notAfter - 4 * DAY + 7 * DAY }), notAfter - 4 * DAY],
    ]);
    expect(r.types).toEqual([['expiring'], ['installed'], ['installed', 'expiring']]);
  });

  it('expired once per certificate, then recovered by a new one', () => {
    const notAfter = T0 + DAY;
    const expired = healthy({ notAfterMs: notAfter, status: 'EXPIRED', error: { code: 'EXPIRED', message: 'expired; run autoenroll enroll' }, attentionMessage: 'key-based renewal is impossible' });
    const r = run([
      [expired, notAfter + 1],
      [expired, notAfter + DAY],
      [healthy({ thumbprint: 'BB', installedThisPass: true }), notAfter + DAY + 1],
    ]);
    expect(r.types).toEqual([['expired'], [], ['installed', 'recovered']]);
  });

  it('needs-attention once per cause; no renewal-failing beside it; recovered when it clears', () => {
    const attention = (code: string) =>
      healthy({ status: 'NEEDS_ATTENTION', consecutiveFailures: 3, error: { code, message: `cannot go on (${code})` }, attentionMessage: `fix ${code}` });
    const r = run([
      [attention('TEMPLATE_NOT_IN_POLICY'), T0],
      [attention('TEMPLATE_NOT_IN_POLICY'), T0 + DAY * 3],
      [attention('CREDENTIALS'), T0 + DAY * 3 + 1],
      [healthy(), T0 + DAY * 4],
    ]);
    expect(r.types).toEqual([['needs-attention'], [], ['needs-attention'], ['recovered']]);
    const event = deriveNotifications(null, attention('X'), T0, settings).events[0]!;
    expect(event.summary).toContain('fix X');
  });

  it('failing while announced, then needs attention, then failing again: each change once', () => {
    const r = run([
      [failing(1), T0],
      [healthy({ status: 'NEEDS_ATTENTION', consecutiveFailures: 2, error: { code: 'DENIED', message: 'denied' }, attentionMessage: 'denied by the CA' }), T0 + 1],
      [failing(3), T0 + 2],
    ]);
    expect(r.types).toEqual([['renewal-failing'], ['needs-attention'], []]);
  });

  it('events carry the facts, as plain JSON', () => {
    const { events } = deriveNotifications(null, failing(2, 'UNREACHABLE', { serial: '0A', generation: 4 }), T0, settings);
    expect(JSON.parse(JSON.stringify(events[0]))).toEqual({
      type: 'renewal-failing',
      certificateId: 'web',
      at: new Date(T0).toISOString(),
      summary: 'web: 2 failed attempts: every endpoint failed (UNREACHABLE) [UNREACHABLE]',
      status: 'BACKING_OFF',
      thumbprint: 'AA',
      previousThumbprint: null,
      serial: '0A',
      notAfter: new Date(T0 + 90 * DAY).toISOString(),
      renewAt: new Date(T0 + 60 * DAY).toISOString(),
      generation: 4,
      consecutiveFailures: 2,
      error: { code: 'UNREACHABLE', message: 'every endpoint failed (UNREACHABLE)' },
      pending: null,
      thresholdSeconds: null,
      secondsLeft: null,
      repeated: false,
    });
  });

  it('the input memory is not modified', () => {
    const memory: NotificationMemory = { ...EMPTY_MEMORY, expiringNotifiedMs: [] };
    const copy = JSON.stringify(memory);
    deriveNotifications(memory, healthy({ notAfterMs: T0 + DAY }), T0, settings);
    expect(JSON.stringify(memory)).toBe(copy);
  });

  it('next threshold instant: the next un-announced threshold, then notAfter', () => {
    const notAfter = T0 + 10 * DAY;
    const cert = healthy({ notAfterMs: notAfter });
    expect(nextThresholdAt(cert, null, T0, settings)).toBe(notAfter - 7 * DAY);
    const { memory } = deriveNotifications(null, cert, notAfter - 7 * DAY, settings);
    expect(nextThresholdAt(cert, memory, notAfter - 7 * DAY, settings)).toBe(notAfter - DAY);
    expect(nextThresholdAt(cert, memory, notAfter - DAY / 2, settings)).toBe(notAfter);
    expect(nextThresholdAt(cert, memory, notAfter + 1, settings)).toBeNull();
    expect(nextThresholdAt(healthy({ thumbprint: null, notAfterMs: null }), null, T0, settings)).toBeNull();
  });
});
