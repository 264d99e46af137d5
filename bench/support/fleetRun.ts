// The two runs the fleet figures come from: a normal year, and the same fleet while both
// priority-1 CES endpoints are down for a day in the middle of the spread part of the window.
import { fleetFigures, type FleetAnalysis } from './fleetFigures.js';
import { DAY_MS, FLEET_ORIGIN_MS, HOUR_MS, defaultScenario, simulateFleet, type FleetRun, type FleetScenario } from './fleetSimulation.js';

export interface FleetRunOptions {
  hosts: number;
  seed?: number;
  submitTimeoutMs?: number;
  outageDurationMs?: number;
  schedule?: FleetScenario['schedule'];
}

export interface FleetResult {
  normal: FleetRun;
  outage: FleetRun;
  /** The same day with every endpoint down: nothing answers, so every due host backs off and retries. */
  totalOutage: FleetRun;
  analysis: FleetAnalysis;
}

export function scenarios(options: FleetRunOptions): { normal: FleetScenario; outage: FleetScenario; totalOutage: FleetScenario } {
  const base = defaultScenario(options.hosts, options.seed ?? 1);
  const normal: FleetScenario = {
    ...base,
    ...(options.submitTimeoutMs !== undefined ? { submitTimeoutMs: options.submitTimeoutMs } : {}),
    ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
  };
  // A quarter into the renewal window, on a clock hour: inside every host's spread part.
  const windowOpensMs = FLEET_ORIGIN_MS + base.lifetimeMs - base.renewalPeriodMs;
  const startMs = windowOpensMs + Math.round((0.25 * base.renewalPeriodMs) / HOUR_MS) * HOUR_MS;
  const top = Math.min(...base.endpoints.map((e) => e.priority));
  const outage: FleetScenario = {
    ...normal,
    outage: { urls: base.endpoints.filter((e) => e.priority === top).map((e) => e.url), startMs, durationMs: options.outageDurationMs ?? DAY_MS },
  };
  const totalOutage: FleetScenario = { ...outage, outage: { ...(outage.outage as NonNullable<FleetScenario['outage']>), urls: base.endpoints.map((e) => e.url) } };
  return { normal, outage, totalOutage };
}

export async function runFleet(options: FleetRunOptions): Promise<FleetResult> {
  const { normal, outage, totalOutage } = scenarios(options);
  const normalRun = await simulateFleet(normal);
  const outageRun = await simulateFleet(outage);
  const totalOutageRun = await simulateFleet(totalOutage);
  return { normal: normalRun, outage: outageRun, totalOutage: totalOutageRun, analysis: fleetFigures(normalRun, outageRun, totalOutageRun) };
}
