// A fleet of hosts renewing one certificate each, over virtual time, on autoenroll's own scheduling
// code: the planner decides when each host renews (renewal window, host offset, jitter, backoff
// gate), withFailover/orderEndpoints with a per-host CircuitBreaker decide which CES each submit
// goes to, scheduleRetry draws the retry instant after a failed pass, and
// mayFailOverAfterSubmitTimeout decides whether a timed-out submit may go on to the next endpoint.
// Only the world is modelled here: the endpoints (up, down, busy, slow), the virtual clock and the
// random draws a host would make with its CSPRNG (a seeded generator, so a run can be replayed).
import { scheduleRetry } from '../../src/engine/backoff.js';
import { plan } from '../../src/engine/planner.js';
import { resolveSchedule } from '../../src/engine/scheduleSettings.js';
import type { CertificatePlanInput, PlannerInput, ScheduleSettings } from '../../src/engine/plannerTypes.js';
import { UnreachableError } from '../../src/errors.js';
import { CircuitBreaker } from '../../src/transport/circuitBreaker.js';
import { withFailover } from '../../src/transport/failover.js';
import { seededRandom, type Random } from '../../src/transport/random.js';
import { DEFAULT_SUBMIT_TIMEOUT_MS, mayFailOverAfterSubmitTimeout } from '../../src/transport/submitTimeoutFailover.js';
import { EventQueue } from './eventQueue.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** 2030-01-01T00:00:00Z, the hour the fleet enrolls in. */
export const FLEET_ORIGIN_MS = Date.UTC(2030, 0, 1);

export interface SimulatedEndpoint {
  url: string;
  priority: number;
  /** Requests it answers per clock hour; the rest get HTTP 503 (Infinity: no limit). */
  capacityPerHour: number;
}

export interface Outage {
  /** Endpoints that refuse connections during the outage. */
  urls: readonly string[];
  startMs: number;
  durationMs: number;
}

export interface FleetScenario {
  hosts: number;
  seed: number;
  lifetimeMs: number;
  renewalPeriodMs: number;
  /** The fleet enrolls within this span after FLEET_ORIGIN_MS. */
  enrollmentSpanMs: number;
  endpoints: readonly SimulatedEndpoint[];
  outage: Outage | null;
  /** transport.submitTimeout. */
  submitTimeoutMs: number;
  /** Usual answer time of a CES submit (uniform in [0.5, 1.5] × this). */
  answerMs: number;
  /** Share of submits the CA is slow on... */
  slowShare: number;
  /** ...adding an exponentially distributed delay with this mean. */
  slowExtraMeanMs: number;
  schedule?: Partial<ScheduleSettings>;
}

export interface FleetRun {
  scenario: FleetScenario;
  /** Instant of hour 0. */
  originMs: number;
  /** Clock hours counted from FLEET_ORIGIN_MS. */
  hours: number;
  /** Per endpoint (scenario order), the submits it received in each hour. */
  requestsPerHour: Int32Array[];
  requests: number;
  /** Submits that timed out at the client while the CES went on to issue: certificates nobody installs. */
  duplicates: number;
  renewed: number;
  /** Hosts whose certificate expired before a renewal got through. */
  missedRenewals: number;
  failedPasses: number;
  /** Earliest opening of a renewal window in the fleet. */
  windowStartMs: number;
}

export const FLEET_ENDPOINTS: readonly SimulatedEndpoint[] = [
  { url: 'https://ces1.contoso.com/KBR_CES/service.svc/CES', priority: 1, capacityPerHour: Number.POSITIVE_INFINITY },
  { url: 'https://ces2.contoso.com/KBR_CES/service.svc/CES', priority: 1, capacityPerHour: Number.POSITIVE_INFINITY },
  { url: 'https://ces-dr.contoso.com/KBR_CES/service.svc/CES', priority: 2, capacityPerHour: Number.POSITIVE_INFINITY },
];

export function defaultScenario(hosts: number, seed = 1): FleetScenario {
  return {
    hosts,
    seed,
    lifetimeMs: 365 * DAY_MS,
    renewalPeriodMs: 42 * DAY_MS,
    enrollmentSpanMs: HOUR_MS,
    endpoints: FLEET_ENDPOINTS,
    outage: null,
    submitTimeoutMs: DEFAULT_SUBMIT_TIMEOUT_MS,
    answerMs: 2_000,
    slowShare: 0.1,
    slowExtraMeanMs: 40_000,
  };
}

interface Host {
  id: string;
  generation: number;
  notBeforeMs: number;
  notAfterMs: number;
  consecutiveFailures: number;
  lastAttemptAtMs?: number;
  nextAttemptAtMs?: number;
  breaker: CircuitBreaker | null;
  done: boolean;
}

/** The submit of one pass stopped because a second submit timed out (no further failover). */
class SubmitStopped extends Error {}

const TEMPLATE_OID = '1.3.6.1.4.1.311.21.8.1.2.3';

function plannerInput(host: Host, scenario: FleetScenario, nowMs: number): PlannerInput {
  const certificate: CertificatePlanInput = {
    id: 'machine',
    configured: { template: 'KBRComputer', reuseKey: false },
    passwordCredentials: false,
    endpoints: { keyBasedRenewal: true, usernameEnrollment: false },
    template: {
      commonName: 'KBRComputer',
      oid: TEMPLATE_OID,
      validitySeconds: scenario.lifetimeMs / 1000,
      renewalSeconds: scenario.renewalPeriodMs / 1000,
      majorRevision: 100,
      flags: {
        allowKeyBasedRenewal: true,
        previousApprovalValidateReenrollment: true,
        pendAllRequests: false,
        skipAutoRenewal: false,
        requireSameKeyRenewal: false,
        enrolleeSuppliesSubject: false,
      },
    },
    current: {
      notBeforeMs: host.notBeforeMs,
      notAfterMs: host.notAfterMs,
      templateOid: TEMPLATE_OID,
      templateMajorVersion: 100,
      thumbprint: `${host.id}-${host.generation}`,
    },
    pending: null,
    failures: host.consecutiveFailures === 0
      ? { consecutiveFailures: 0 }
      : {
          consecutiveFailures: host.consecutiveFailures,
          ...(host.lastAttemptAtMs !== undefined ? { lastAttemptAtMs: host.lastAttemptAtMs } : {}),
          ...(host.nextAttemptAtMs !== undefined ? { nextAttemptAtMs: host.nextAttemptAtMs } : {}),
        },
  };
  return { hostId: host.id, policy: { fetchedAtMs: nowMs, nextUpdateAtMs: nowMs + 8 * HOUR_MS }, certificates: [certificate] };
}

/** Runs the scenario until one day after the last certificate of the first generation expires. */
export async function simulateFleet(scenario: FleetScenario): Promise<FleetRun> {
  const random: Random = seededRandom(scenario.seed);
  const horizonMs = FLEET_ORIGIN_MS + scenario.enrollmentSpanMs + scenario.lifetimeMs + DAY_MS;
  const hours = Math.ceil((horizonMs - FLEET_ORIGIN_MS) / HOUR_MS);
  const requestsPerHour = scenario.endpoints.map(() => new Int32Array(hours));
  const byUrl = new Map(scenario.endpoints.map((endpoint, index) => [endpoint.url, { endpoint, index }]));
  const down = new Set(scenario.outage?.urls ?? []);
  const outage = scenario.outage;
  const schedule = scenario.schedule;
  const backoffSettings = resolveSchedule(schedule);
  const fleet: Host[] = [];
  const run: FleetRun = {
    scenario,
    originMs: FLEET_ORIGIN_MS,
    hours,
    requestsPerHour,
    requests: 0,
    duplicates: 0,
    renewed: 0,
    missedRenewals: 0,
    failedPasses: 0,
    windowStartMs: Number.POSITIVE_INFINITY,
  };

  const queue = new EventQueue<Host>();
  const scheduleNext = (host: Host, nowMs: number): void => {
    const action = plan(plannerInput(host, scenario, nowMs), nowMs, schedule ? { schedule } : {}).actions[0];
    if (action === undefined) throw new Error('the planner returned no action');
    if (action.timing.windowStartMs !== null && host.generation === 0) run.windowStartMs = Math.min(run.windowStartMs, action.timing.windowStartMs);
    if (action.kind === 'renew') {
      queue.push(nowMs, host);
    } else if (action.kind === 'wait') {
      if (action.untilMs < horizonMs) queue.push(action.untilMs, host);
    } else if (action.status === 'EXPIRED' || action.kind === 'needs-attention') {
      host.done = true;
      if (nowMs >= host.notAfterMs) run.missedRenewals += 1;
      else throw new Error(`unexpected planner step for ${host.id}: ${action.kind} (${action.status})`);
    } else {
      throw new Error(`unexpected planner step for ${host.id}: ${action.kind}`);
    }
  };

  for (let i = 0; i < scenario.hosts; i++) {
    const notBeforeMs = FLEET_ORIGIN_MS + Math.floor(random() * scenario.enrollmentSpanMs);
    const host: Host = {
      id: `host-${scenario.seed}-${i}`,
      generation: 0,
      notBeforeMs,
      notAfterMs: notBeforeMs + scenario.lifetimeMs,
      consecutiveFailures: 0,
      breaker: null,
      done: false,
    };
    fleet.push(host);
    scheduleNext(host, notBeforeMs);
  }

  const isDown = (url: string, atMs: number): boolean =>
    outage !== null && down.has(url) && atMs >= outage.startMs && atMs < outage.startMs + outage.durationMs;

  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    const host = event.item;
    const startMs = event.atMs;
    if (host.done) continue;
    const action = plan(plannerInput(host, scenario, startMs), startMs, schedule ? { schedule } : {}).actions[0];
    if (action?.kind !== 'renew') {
      scheduleNext(host, startMs);
      continue;
    }
    let clockMs = startMs;
    let timedOut = 0;
    host.breaker ??= new CircuitBreaker();
    try {
      await withFailover(
        scenario.endpoints,
        async (endpoint) => {
          const known = byUrl.get(endpoint.url);
          if (known === undefined) throw new Error(`unknown endpoint ${endpoint.url}`);
          if (isDown(endpoint.url, clockMs)) {
            clockMs += 1_000;
            throw new UnreachableError(`${endpoint.url}: connection refused`, [], 'CONNECTION_REFUSED');
          }
          const hour = Math.floor((clockMs - FLEET_ORIGIN_MS) / HOUR_MS);
          const counts = requestsPerHour[known.index] as Int32Array;
          if (hour < hours) counts[hour] = (counts[hour] as number) + 1;
          run.requests += 1;
          if (hour < hours && (counts[hour] as number) > known.endpoint.capacityPerHour) {
            clockMs += 1_000;
            throw new UnreachableError(`${endpoint.url}: HTTP 503 Service Unavailable`, [], 'HTTP_503');
          }
          let answerMs = scenario.answerMs * (0.5 + random());
          if (random() < scenario.slowShare) answerMs += -Math.log(1 - random()) * scenario.slowExtraMeanMs;
          if (answerMs >= scenario.submitTimeoutMs) {
            clockMs += scenario.submitTimeoutMs;
            run.duplicates += 1;
            timedOut += 1;
            if (!mayFailOverAfterSubmitTimeout(timedOut)) throw new SubmitStopped('a second submit timed out');
            throw new UnreachableError(`${endpoint.url}: no answer within the submit timeout`, [], 'RESPONSE_TIMEOUT');
          }
          clockMs += Math.round(answerMs);
          return endpoint.url;
        },
        { random, breaker: host.breaker, nowMs: () => clockMs },
      );
      host.generation += 1;
      host.notBeforeMs = clockMs;
      host.notAfterMs = clockMs + scenario.lifetimeMs;
      host.consecutiveFailures = 0;
      delete host.lastAttemptAtMs;
      delete host.nextAttemptAtMs;
      run.renewed += 1;
    } catch (error) {
      if (!(error instanceof UnreachableError || error instanceof SubmitStopped)) throw error;
      run.failedPasses += 1;
      host.consecutiveFailures += 1;
      host.lastAttemptAtMs = clockMs;
      host.nextAttemptAtMs = scheduleRetry(
        { consecutiveFailures: host.consecutiveFailures, failedAtMs: clockMs, notAfterMs: host.notAfterMs },
        random,
        backoffSettings,
      );
    }
    scheduleNext(host, clockMs);
  }
  // A host still holding an expired certificate at the end never renewed it.
  for (const host of fleet) if (!host.done && host.notAfterMs <= horizonMs) run.missedRenewals += 1;
  return run;
}
