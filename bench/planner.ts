// The planner runs on every pass of the service and on every `status`/`plan`: it must stay cheap
// for fleets of certificates on one host. Inputs mix every state the rules distinguish.
import { plan } from '../src/engine/planner.js';
import type { CertificatePlanInput, PlannerInput } from '../src/engine/plannerTypes.js';
import { median, sample, type BenchResult } from './types.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

function certificate(i: number): CertificatePlanInput {
  const issued = T0 - (i % 365) * DAY;
  const flavour = i % 10;
  return {
    id: `cert-${i}`,
    configured: { template: 'KBRComputer', reuseKey: false },
    passwordCredentials: flavour !== 9,
    endpoints: { keyBasedRenewal: true, usernameEnrollment: true },
    template: {
      commonName: 'KBRComputer',
      oid: '1.3.6.1.4.1.311.21.8.1.2.3',
      validitySeconds: 365 * 86400,
      renewalSeconds: 42 * 86400,
      majorRevision: 100,
      flags: {
        allowKeyBasedRenewal: true,
        previousApprovalValidateReenrollment: true,
        pendAllRequests: true,
        skipAutoRenewal: false,
        requireSameKeyRenewal: false,
        enrolleeSuppliesSubject: true,
      },
    },
    current: flavour === 0 ? null : { notBeforeMs: issued, notAfterMs: issued + 365 * DAY, templateMajorVersion: 100, thumbprint: `${i}`.padStart(40, '0') },
    pending: flavour === 1 ? { requestId: `${i}`, submittedAtMs: T0 - (i % 5) * DAY, kind: 'enroll' } : null,
    failures: flavour === 2 ? { consecutiveFailures: 1 + (i % 7), lastAttemptAtMs: T0 - 60_000 } : { consecutiveFailures: 0 },
  };
}

function fleet(n: number): PlannerInput {
  return {
    hostId: 'bench-host',
    policy: { fetchedAtMs: T0 - 3_600_000, nextUpdateAtMs: T0 + 7 * 3_600_000 },
    certificates: Array.from({ length: n }, (_, i) => certificate(i)),
  };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [n, iterations, budgetMs] of [[100, 200, 5], [10_000, 20, 250]] as const) {
    const input = fleet(n);
    const samples = await sample(() => plan(input, T0), iterations);
    const m = median(samples);
    results.push({
      name: `plan ${n} certificates`,
      medianMs: m,
      budgetMs,
      note: `${((m * 1000) / n).toFixed(1)} µs/certificate`,
    });
  }
  return results;
}
