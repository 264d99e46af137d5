// The fleet figures at 10,000 hosts, pinned (seeded, so every run gives the same numbers). The goals
// themselves are for 100,000 hosts (`npm run bench -- fleet --json`, BENCHMARKS.md "Fleet"): at
// 10,000 hosts the busiest hour is set by chance (≈ 17 requests an hour, Poisson noise of ± 4), so
// peakToMean (and totalOutageRecoveryPeakToMean, which contains the same noise) is pinned to its
// measured value rather than to its goal.
import { describe, expect, it } from 'vitest';
import { fleetJson, fleetPlot } from '../../bench/fleet.js';
import { FLEET_GOALS, missedGoals, spreadPart } from '../../bench/support/fleetFigures.js';
import { runFleet, scenarios, type FleetResult } from '../../bench/support/fleetRun.js';
import { simulateFleet } from '../../bench/support/fleetSimulation.js';

describe('fleet simulation, 10,000 hosts (seed 1)', () => {
  let result: FleetResult;

  it('runs both scenarios on the real planner and failover in a few seconds', async () => {
    result = await runFleet({ hosts: 10_000, seed: 1 });
    expect(result.normal.renewed).toBe(10_000);
    expect(result.outage.renewed).toBe(10_000);
  });

  it('meets every goal but the busiest hour, which is pinned', () => {
    const f = result.analysis.figures;
    expect(missedGoals(f).filter((name) => name !== 'peakToMean' && name !== 'totalOutageRecoveryPeakToMean')).toEqual([]);
    expect(f.hosts).toBe(10_000);
    expect(f.peakToMean).toBeCloseTo(1.926, 2);
    expect(f.spreadCoverage).toBeCloseTo(0.594, 2);
    expect(f.spreadCoverage).toBeGreaterThanOrEqual(FLEET_GOALS.spreadCoverage.min);
    expect(f.endpointShareMaxDeviation).toBeLessThan(0.01);
    expect(f.recoveryPeakToMean).toBeLessThanOrEqual(FLEET_GOALS.recoveryPeakToMean.max);
    // Like the busiest hour, at 10,000 hosts this includes the normal hour-to-hour noise (1.93 alone).
    expect(f.totalOutageRecoveryPeakToMean).toBeCloseTo(2.23, 1);
    expect(f.missedRenewals).toBe(0);
    expect(f.duplicateRate).toBeCloseTo(0.0039, 3);
  });

  it('during the outage the priority-2 endpoint takes the load, and only then', () => {
    const [ces1, ces2, dr] = result.outage.requestsPerHour;
    const outage = result.analysis.outageHours;
    if (!ces1 || !ces2 || !dr || !outage) throw new Error('missing run data');
    let inside = 0;
    let outside = 0;
    for (let h = 0; h < result.outage.hours; h++) {
      const preferred = (ces1[h] as number) + (ces2[h] as number);
      if (h >= outage.firstHour && h <= outage.lastHour) {
        expect(preferred).toBe(0);
        inside += dr[h] as number;
      } else outside += dr[h] as number;
    }
    expect(inside).toBeGreaterThan(0.9 * 24 * result.analysis.normalMeanPerHour);
    expect(outside).toBe(0);
    expect(result.normal.requestsPerHour[2]?.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('prints the JSON fields of cli.md', () => {
    const json = fleetJson(result, 1);
    for (const field of ['hosts', 'peakToMean', 'spreadCoverage', 'endpointShareMaxDeviation', 'recoveryPeakToMean', 'missedRenewals', 'duplicateRate']) {
      expect(typeof json[field]).toBe('number');
    }
    const hourly = json.requestsPerHour as { fromHour: number; toHour: number; normal: Record<string, number[]> };
    const perUrl = Object.values(hourly.normal);
    expect(perUrl).toHaveLength(3);
    for (const counts of perUrl) expect(counts).toHaveLength(hourly.toHour - hourly.fromHour + 1);
    expect(perUrl.flat().reduce((a, b) => a + b, 0)).toBe(result.normal.requests);
  });

  it('plots requests per hour per endpoint, normal and with the outage', () => {
    const svg = fleetPlot(result);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(9);
    expect(svg).toContain('>outage</text>');
    expect(svg).toContain('ces-dr.contoso.com (priority 2)');
  });
});

describe('the figures can fail', () => {
  it('with the 4 h exponential backoff alone, a day without any endpoint ends in a retry storm', async () => {
    const { analysis } = await runFleet({ hosts: 2_000, seed: 3, schedule: { backoffSpreadAfterFailures: 1000 } });
    expect(analysis.figures.totalOutageRecoveryPeakToMean).toBeGreaterThan(5);
  });

  it('the 30 s request timeout used for every call would make duplicates from the slow CES', async () => {
    const { analysis } = await runFleet({ hosts: 2_000, seed: 3, submitTimeoutMs: 30_000 });
    expect(analysis.figures.duplicateRate).toBeGreaterThan(FLEET_GOALS.duplicateRate.max);
  });

  it('a spread squeezed into 5 % of the window misses the coverage goal', async () => {
    const { analysis } = await runFleet({ hosts: 2_000, seed: 3, schedule: { spreadFraction: 0.05 } });
    expect(missedGoals(analysis.figures)).toEqual(expect.arrayContaining(['spreadCoverage']));
    expect(analysis.figures.spreadCoverage).toBeLessThan(0.06);
  });

  it('a priority-2 endpoint too small for the fleet turns the priority-1 outage into failed passes and retries', async () => {
    const { outage } = scenarios({ hosts: 2_000, seed: 3 });
    const small = { ...outage, endpoints: outage.endpoints.map((e) => (e.priority === 2 ? { ...e, capacityPerHour: 1 } : e)) };
    const run = await simulateFleet(small);
    expect(run.failedPasses).toBeGreaterThan(100);
    expect(run.missedRenewals).toBe(0);
    expect(run.renewed).toBe(2_000);
  });

  it('the same seed gives the same run', async () => {
    const a = await runFleet({ hosts: 1_000, seed: 9 });
    const b = await runFleet({ hosts: 1_000, seed: 9 });
    expect(b.analysis.figures).toEqual(a.analysis.figures);
  });
});

describe('spread part', () => {
  it('is the hours holding all but 0.5 % of the requests at either end', () => {
    const counts = new Array<number>(1000).fill(0);
    counts[0] = 1;
    for (let h = 100; h < 300; h++) counts[h] = 10;
    counts[999] = 1;
    expect(spreadPart(counts)).toMatchObject({ firstHour: 100, lastHour: 299 });
  });
});
