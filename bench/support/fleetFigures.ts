// The figures of a fleet run and their goals. Hours are clock hours of the simulation; "requests"
// are CES submits that reached an endpoint (a refused connection is not load on anything).
import type { FleetRun } from './fleetSimulation.js';

export interface FleetFigures {
  hosts: number;
  /** Busiest hour of the normal run over the hourly mean of its spread part. */
  peakToMean: number;
  /** Length of the spread part over the renewal period. */
  spreadCoverage: number;
  /** Largest relative distance of an equal-priority endpoint's share from an even share (normal run). */
  endpointShareMaxDeviation: number;
  /** Busiest hour from the end of the outage on, over the normal hourly mean. */
  recoveryPeakToMean: number;
  /** The same with every endpoint down for the day (no failover target): the retry storm, if any. */
  totalOutageRecoveryPeakToMean: number;
  /** Hosts whose certificate expired, all runs together. */
  missedRenewals: number;
  /** Timed-out submits the CES went on to issue, over all submits (normal run). */
  duplicateRate: number;
}

export const FLEET_GOALS = {
  peakToMean: { max: 1.5 },
  spreadCoverage: { min: 0.5 },
  endpointShareMaxDeviation: { max: 0.05 },
  recoveryPeakToMean: { max: 2 },
  totalOutageRecoveryPeakToMean: { max: 2 },
  missedRenewals: { max: 0 },
  duplicateRate: { max: 0.01 },
} as const;

/** Share of the requests left out at each end when locating the spread part (stray retries, ramps). */
export const SPREAD_TRIM = 0.005;

export function totalPerHour(run: FleetRun): Float64Array {
  const total = new Float64Array(run.hours);
  for (const counts of run.requestsPerHour) for (let h = 0; h < run.hours; h++) total[h] = (total[h] as number) + (counts[h] as number);
  return total;
}

/** The hours [first, last] holding all requests but SPREAD_TRIM at either end. */
export function spreadPart(total: ArrayLike<number>, trim = SPREAD_TRIM): { firstHour: number; lastHour: number; requests: number } {
  let sum = 0;
  for (let h = 0; h < total.length; h++) sum += total[h] as number;
  const low = trim * sum;
  const high = (1 - trim) * sum;
  let seen = 0;
  let firstHour = -1;
  let lastHour = -1;
  for (let h = 0; h < total.length; h++) {
    seen += total[h] as number;
    if (firstHour < 0 && seen > low) firstHour = h;
    if (lastHour < 0 && seen >= high) lastHour = h;
  }
  let requests = 0;
  for (let h = Math.max(0, firstHour); h <= lastHour; h++) requests += total[h] as number;
  return { firstHour, lastHour, requests };
}

function maxOf(values: ArrayLike<number>, from = 0, to = values.length): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, values[i] as number);
  return max;
}

export interface FleetAnalysis {
  figures: FleetFigures;
  normalMeanPerHour: number;
  spread: { firstHour: number; lastHour: number };
  outageHours: { firstHour: number; lastHour: number } | null;
  peakHour: number;
}

/** Busiest hour from the end of the run's outage on, and the outage's hours. */
function afterOutage(run: FleetRun): { peak: number; hours: { firstHour: number; lastHour: number } | null } {
  const o = run.scenario.outage;
  if (o === null) return { peak: 0, hours: null };
  const firstHour = Math.floor((o.startMs - run.originMs) / 3_600_000);
  const endHour = Math.ceil((o.startMs + o.durationMs - run.originMs) / 3_600_000);
  return { peak: maxOf(totalPerHour(run), endHour), hours: { firstHour, lastHour: endHour - 1 } };
}

export function fleetFigures(normal: FleetRun, outage: FleetRun, totalOutage: FleetRun): FleetAnalysis {
  const total = totalPerHour(normal);
  const spread = spreadPart(total);
  const spreadHours = spread.lastHour - spread.firstHour + 1;
  const mean = spread.requests / spreadHours;
  let peakHour = 0;
  for (let h = 0; h < total.length; h++) if ((total[h] as number) > (total[peakHour] as number)) peakHour = h;

  const top = Math.min(...normal.scenario.endpoints.map((e) => e.priority));
  const preferred = normal.scenario.endpoints.flatMap((e, i) => (e.priority === top ? [i] : []));
  const sums = preferred.map((i) => (normal.requestsPerHour[i] as Int32Array).reduce((a, b) => a + b, 0));
  const all = sums.reduce((a, b) => a + b, 0);
  const even = 1 / preferred.length;
  const endpointShareMaxDeviation = Math.max(...sums.map((s) => Math.abs(s / all - even) / even));

  const recovery = afterOutage(outage);
  const totalRecovery = afterOutage(totalOutage);

  return {
    figures: {
      hosts: normal.scenario.hosts,
      peakToMean: (total[peakHour] as number) / mean,
      spreadCoverage: (spreadHours * 3_600_000) / normal.scenario.renewalPeriodMs,
      endpointShareMaxDeviation,
      recoveryPeakToMean: recovery.peak / mean,
      totalOutageRecoveryPeakToMean: totalRecovery.peak / mean,
      missedRenewals: normal.missedRenewals + outage.missedRenewals + totalOutage.missedRenewals,
      duplicateRate: normal.duplicates / normal.requests,
    },
    normalMeanPerHour: mean,
    spread,
    outageHours: recovery.hours,
    peakHour,
  };
}

/** Names of the figures that miss their goal. */
export function missedGoals(figures: FleetFigures): string[] {
  const missed: string[] = [];
  for (const [name, goal] of Object.entries(FLEET_GOALS) as [keyof typeof FLEET_GOALS, { min?: number; max?: number }][]) {
    const value = figures[name];
    if ((goal.max !== undefined && !(value <= goal.max)) || (goal.min !== undefined && !(value >= goal.min))) missed.push(name);
  }
  return missed;
}
