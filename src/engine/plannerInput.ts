// Config + stored state + merged policy → the planner's input. Pure: the agent reads the store
// into CertificateSnapshots first, and this maps them.
import type { CertificateConfig, Config } from '../config/types.js';
import type { CertificateDescription } from '../pki/certInfo.js';
import type { CertificateState, Generation, PendingRecord } from '../store/stateModel.js';
import { ClientAuthentication } from '../transport/enrollmentEndpoints.js';
import type { PolicyView } from './cachedPolicy.js';
import type { CertificatePlanInput, PlannerInput, PolicyFreshnessView, ScheduleSettings } from './plannerTypes.js';
import { casOfTemplate, enrollmentCandidates, issuingCa, locateTemplate, templateView } from './policyLookup.js';

export interface CurrentCertificate {
  generation: Generation;
  certDer: Uint8Array;
  description: CertificateDescription;
}

/** What the store holds for one configured certificate, read at the start of its turn. */
export interface CertificateSnapshot {
  config: CertificateConfig;
  state: CertificateState | null;
  current: CurrentCertificate | null;
  pending: PendingRecord | null;
}

/**
 * The schedule settings the configuration overrides. Every caller of plan() passes these (the
 * pass, `status`, `plan`), so that all of them give up a pending request at the same age.
 */
export function scheduleOverrides(config: Pick<Config, 'pendingMaxAgeMs'>): Partial<ScheduleSettings> {
  return { pendingMaxAgeMs: config.pendingMaxAgeMs };
}

export function hasPasswordCredentials(config: Config): boolean {
  return config.policyServers.some((s) => s.auth === 'username' && s.username !== undefined && s.password !== undefined);
}

/**
 * Credentials for a first enrollment: a username/password, or a Kerberos policy server (whether
 * the kerberos module is there is found out when the policy is fetched, not by planning).
 */
export function hasEnrollmentCredentials(config: Config): boolean {
  return hasPasswordCredentials(config) || config.policyServers.some((s) => s.auth === 'kerberos');
}

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? undefined : value;
};

export function certificatePlanInput(
  snapshot: CertificateSnapshot,
  views: readonly PolicyView[],
  passwordCredentials: boolean,
): CertificatePlanInput {
  const { config, state, current, pending } = snapshot;
  const located = locateTemplate(views, config.template);
  let keyBasedRenewal = false;
  let usernameEnrollment = false;
  if (located) {
    const candidates = enrollmentCandidates(located.view, located.template);
    usernameEnrollment = candidates.some((c) => c.clientAuthentication === ClientAuthentication.USERNAME_PASSWORD && !c.renewalOnly);
    // CA affinity: a renewal goes to a CES of the CA that issued the certificate.
    const issuer = current ? issuingCa(casOfTemplate(located.view, located.template), current.certDer) : undefined;
    keyBasedRenewal = candidates.some(
      (c) => c.clientAuthentication === ClientAuthentication.CERTIFICATE && (issuer === undefined || c.caId === issuer.id),
    );
  }

  const input: CertificatePlanInput = {
    id: config.id,
    configured: {
      template: config.template,
      minRenewalFraction: config.minRenewalFraction,
      reuseKey: config.reuseKey,
      ...(config.renewalPeriodMs !== undefined ? { renewalPeriodMs: config.renewalPeriodMs } : {}),
    },
    passwordCredentials,
    endpoints: { keyBasedRenewal, usernameEnrollment },
    template: located ? templateView(located) : null,
    current: null,
    pending: null,
    failures: { consecutiveFailures: state?.consecutiveFailures ?? 0 },
  };
  if (current) {
    const d = current.description;
    input.current = { notBeforeMs: d.notBefore.getTime(), notAfterMs: d.notAfter.getTime(), thumbprint: d.thumbprintSha1 };
    const templateOid = d.template?.oid ?? current.generation.meta.templateOid;
    if (templateOid !== undefined) input.current.templateOid = templateOid;
    if (d.template?.majorVersion !== undefined) input.current.templateMajorVersion = d.template.majorVersion;
  }
  if (pending) {
    const submittedAtMs = ms(pending.meta.submittedAt) ?? 0;
    input.pending = { requestId: pending.meta.requestId, submittedAtMs, kind: pending.meta.kind };
    const lastAttempt = ms(state?.lastAttemptAt);
    if (lastAttempt !== undefined && lastAttempt > submittedAtMs) input.pending.lastPolledAtMs = lastAttempt;
  }
  const lastAttemptAtMs = ms(state?.lastAttemptAt);
  const nextAttemptAtMs = ms(state?.nextAttemptAt);
  if (lastAttemptAtMs !== undefined) input.failures.lastAttemptAtMs = lastAttemptAtMs;
  if (nextAttemptAtMs !== undefined && input.failures.consecutiveFailures > 0) input.failures.nextAttemptAtMs = nextAttemptAtMs;
  return input;
}

export function buildPlannerInput(args: {
  hostId: string;
  config: Config;
  views: readonly PolicyView[];
  freshness: PolicyFreshnessView | null;
  snapshots: readonly CertificateSnapshot[];
}): PlannerInput {
  const password = hasEnrollmentCredentials(args.config);
  return {
    hostId: args.hostId,
    policy: args.freshness,
    certificates: args.snapshots.map((s) => certificatePlanInput(s, args.views, password)),
  };
}
