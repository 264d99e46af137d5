// Acceptance: a fleet of hosts holding certificates of one profile must not renew in lockstep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine/planner.js';
import { DAY, SECOND, T0, cert, input, template } from './plannerFixtures.js';

const HOSTS = 10_000;
const SLICES = 100;

/** Renewal instants of one certificate profile on each host, as fractions of the window. */
function windowPositions(hostIds: readonly string[], profile: { lifetimeMs: number; renewalSeconds: number }, thumbprint?: string): number[] {
  return hostIds.map((hostId, i) => {
    const c = cert({
      template: template({ renewalSeconds: profile.renewalSeconds }),
      // Worst case for lockstep: every host got its certificate at the same instant.
      current: { notBeforeMs: T0, notAfterMs: T0 + profile.lifetimeMs, thumbprint: thumbprint ?? `thumb-${i}` },
    });
    const a = plan(input([c], { hostId }), T0).actions[0];
    if (!a || a.renewAtMs === null || a.timing.windowStartMs === null) throw new Error(`no renewal instant for ${hostId}`);
    const start = a.timing.windowStartMs;
    const notAfter = a.timing.notAfterMs as number;
    expect(a.renewAtMs).toBeGreaterThanOrEqual(start);
    expect(a.renewAtMs).toBeLessThan(notAfter);
    return (a.renewAtMs - start) / (notAfter - start);
  });
}

function sliceCounts(positions: readonly number[]): number[] {
  const counts = new Array<number>(SLICES).fill(0);
  for (const p of positions) counts[Math.min(SLICES - 1, Math.floor(p * SLICES))]! += 1;
  return counts;
}

describe('fleet spread (10,000 hosts with random ids)', () => {
  const profiles = [
    { name: '120 s lab certificate, 40 s renewal period', lifetimeMs: 120 * SECOND, renewalSeconds: 40 },
    { name: 'one-year certificate, six-week renewal period', lifetimeMs: 365 * DAY, renewalSeconds: 42 * 86400 },
  ];

  for (const profile of profiles) {
    it(`${profile.name}: no 1 % slice of the window holds more than 3 % of hosts`, () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.uuid(), { minLength: HOSTS, maxLength: HOSTS }), (hostIds) => {
          const counts = sliceCounts(windowPositions(hostIds, profile));
          expect(Math.max(...counts)).toBeLessThanOrEqual(0.03 * HOSTS);
          // Spread over the window, not bunched: every slice of the spread half holds hosts (≈ 2 % each;
          // the first two ramp up as the 2 % jitter smears the slots), the rest is left for retries.
          for (const count of counts.slice(2, 50)) expect(count).toBeGreaterThanOrEqual(0.01 * HOSTS);
          expect(counts.slice(60).every((count) => count === 0)).toBe(true);
        }),
        // Shrinking 10,000 ids would take minutes; the counterexample is the whole fleet anyway.
        { numRuns: 2, endOnFailure: true },
      );
    });
  }

  it('the spread comes from the host id alone: identical certificates on every host still spread', () => {
    const hostIds = fc.sample(fc.uuid(), { numRuns: HOSTS, seed: 7 });
    const counts = sliceCounts(windowPositions(hostIds, profiles[1]!, 'SAME-THUMBPRINT'));
    expect(Math.max(...counts)).toBeLessThanOrEqual(0.03 * HOSTS);
  });
});
