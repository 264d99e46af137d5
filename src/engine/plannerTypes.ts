// The planner's own input and output shapes. The executor maps config, stored state and the XCEP
// policy into PlannerInput; nothing here knows about YAML, files or XML. All instants are epoch
// milliseconds (UTC) and all durations milliseconds, named with an `Ms` suffix.

/** Display state of one certificate (cli.md `status`). */
export type CertificateStatus =
  | 'NEW'
  | 'PENDING'
  | 'VALID'
  | 'RENEW_DUE'
  | 'BACKING_OFF'
  | 'EXPIRED'
  | 'NEEDS_ATTENTION';

/** Template flag bits the planner cares about, already decoded (protocol.md §2.3). */
export interface TemplateFlagsView {
  /** enrollmentFlags 0x10000 CT_FLAG_ALLOW_PREVIOUS_APPROVAL_KEYBASEDRENEWAL_VALIDATE_REENROLLMENT. */
  allowKeyBasedRenewal: boolean;
  /** enrollmentFlags 0x40 CT_FLAG_PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT. */
  previousApprovalValidateReenrollment: boolean;
  /** enrollmentFlags 0x2 CT_FLAG_PEND_ALL_REQUESTS. */
  pendAllRequests: boolean;
  /** enrollmentFlags 0x40000 CT_FLAG_SKIP_AUTO_RENEWAL. */
  skipAutoRenewal: boolean;
  /** privateKeyFlags 0x80 CT_FLAG_REQUIRE_SAME_KEY_RENEWAL. */
  requireSameKeyRenewal: boolean;
  /** subjectNameFlags 0x1 CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT. */
  enrolleeSuppliesSubject: boolean;
}

/** The configured template as the current policy describes it. */
export interface PolicyTemplateView {
  commonName: string;
  /** Dotted template OID (msPKI-Cert-Template-OID). */
  oid: string;
  /** certificateValidity/validityPeriodSeconds. */
  validitySeconds: number;
  /** certificateValidity/renewalPeriodSeconds (pKIOverlapPeriod). */
  renewalSeconds: number;
  majorRevision: number;
  flags: TemplateFlagsView;
  /** commonName of a template in the same policy whose supersededPolicies lists this one. */
  supersededBy?: string;
  /** OID of that superseding template, so a certificate already re-enrolled to it is recognised. */
  supersededByOid?: string;
}

/** Facts of the certificate currently installed (the `current` generation). */
export interface CurrentCertificateView {
  notBeforeMs: number;
  notAfterMs: number;
  /** Template OID from the certificate's template extension (1.3.6.1.4.1.311.21.7), if any. */
  templateOid?: string;
  /** Major version from the same extension, if any. */
  templateMajorVersion?: number;
  /** SHA-1 thumbprint (hex). Also seeds the per-certificate jitter, so it changes per generation. */
  thumbprint: string;
}

/** A request the CA answered with "pending". */
export interface PendingRequestView {
  requestId: string;
  submittedAtMs: number;
  kind: 'enroll' | 'renew' | 're-enroll';
  /** Last QueryTokenStatus attempt (success or not). Without it polls are counted from submittedAtMs. */
  lastPolledAtMs?: number;
}

export interface FailureView {
  /** Failed attempts since the last success. 0 = healthy. */
  consecutiveFailures: number;
  /** When the last failed attempt started or ended (either is fine; be consistent). */
  lastAttemptAtMs?: number;
  /**
   * A retry instant already drawn (for example with `scheduleRetry`) and stored. When absent the
   * planner derives a stable one from lastAttemptAtMs.
   */
  nextAttemptAtMs?: number;
}

export interface ConfiguredCertificateView {
  /** Template name or OID as written in the config. */
  template: string;
  /** Overrides the template's renewal period when set. */
  renewalPeriodMs?: number;
  /** Earliest renewal as a fraction of the lifetime (default 0.5). */
  minRenewalFraction?: number;
  reuseKey: boolean;
}

export interface CertificatePlanInput {
  /** The config `id`. */
  id: string;
  configured: ConfiguredCertificateView;
  /** Username + password for a username CEP/CES are configured (enrollment and re-enrollment possible). */
  passwordCredentials: boolean;
  /** What the policy offers for this template's CA(s). */
  endpoints: {
    /** A renewal-only CES with certificate (TLS client) authentication. */
    keyBasedRenewal: boolean;
    /** A CES with username/password authentication that accepts new requests. */
    usernameEnrollment: boolean;
    /** Every enrollment URI of the template is a Kerberos one (which this agent skips). */
    kerberosOnly?: boolean;
  };
  /** The template in the policy, or null when the policy does not list it (or there is no policy). */
  template: PolicyTemplateView | null;
  current: CurrentCertificateView | null;
  pending: PendingRequestView | null;
  failures: FailureView;
}

/** How fresh the cached policy is (protocol.md §2.4). Null = never fetched nor tried. */
export interface PolicyFreshnessView {
  /** Last good fetch; absent when no fetch ever succeeded. */
  fetchedAtMs?: number;
  /** fetchedAt + nextUpdateHours, when the server sent nextUpdateHours. */
  nextUpdateAtMs?: number;
  /** Failed refreshes since the last good fetch (every CEP down). */
  consecutiveFailures?: number;
  lastAttemptAtMs?: number;
  /** The template names the policy offers (for "did you mean" when a configured one is missing). */
  templateNames?: readonly string[];
}

export interface PlannerInput {
  /** Stable host identity (machine id, else hostname): seeds the per-host renewal offset. */
  hostId: string;
  policy: PolicyFreshnessView | null;
  certificates: readonly CertificatePlanInput[];
}

/**
 * What a one-shot command may do. Absent = the service's own scheduled pass. Any operation is a
 * manual trigger: it acts as soon as something is due (window open, pending, failed) without
 * waiting for the per-host slot, the backoff or the pending poll cadence.
 */
export type PlanOperation = 'enroll' | 'renew' | 'retrieve' | 'pulse';

/** Tunables of the scheduling rules; defaults in scheduleSettings.ts. */
export interface ScheduleSettings {
  /** Fraction of the renewal window over which hosts are spread (the rest is retry margin). */
  spreadFraction: number;
  /** Width of the per-certificate jitter as a fraction of the window, added to the host slot and wrapped around inside the spread part. */
  jitterFraction: number;
  /** First retry delay ceiling; doubles per consecutive failure. */
  backoffBaseMs: number;
  /** Absolute retry ceiling. */
  backoffMaxMs: number;
  /** The retry ceiling never exceeds this fraction of the remaining validity... */
  backoffRemainingFraction: number;
  /** ...nor falls below this floor, and no retry comes sooner than it. */
  backoffFloorMs: number;
  /** After this many consecutive failures a still-valid certificate's retry ceiling is... */
  backoffSpreadAfterFailures: number;
  /** ...min(this, backoffRemainingFraction × remaining validity), whatever backoffBaseMs and backoffMaxMs say. */
  backoffSpreadMaxMs: number;
  /** First pending poll interval. */
  pendingInitialPollMs: number;
  /** Longest pending poll interval. */
  pendingMaxPollMs: number;
  /** A pending request older than this is given up (NEEDS_ATTENTION). */
  pendingMaxAgeMs: number;
  /** Policy refresh interval when the server sent no nextUpdateHours (Windows default 8 h). */
  policyDefaultRefreshMs: number;
  /** Re-enroll when the template's major revision is newer than the certificate's. */
  reenrollOnTemplateUpdate: boolean;
}

export interface PlanOptions {
  /** `renew --force`: renew now regardless of the window, the minimum fraction and the loop guard. */
  force?: boolean;
  /** `renew --reuse-key`: overrides the configured reuseKey. */
  reuseKey?: boolean;
  operation?: PlanOperation;
  schedule?: Partial<ScheduleSettings>;
}

export type ReenrollReason =
  | 'expired'
  | 'superseded'
  | 'template-updated'
  | 'template-changed'
  | 'renewal-impossible';

export type WaitReason =
  | 'before-renewal'
  | 'backing-off'
  | 'pending-not-due'
  | 'skip-auto-renewal';

export type AttentionReason =
  | 'no-policy'
  | 'template-not-in-policy'
  | 'no-credentials'
  | 'kerberos-only'
  | 'expired-no-credentials'
  | 'issued-inside-window'
  | 'empty-renewal-window'
  | 'no-renewal-path'
  | 'pending-too-old';

/** One step the executor takes (or would take) for a certificate. */
export type PlannedStep =
  | { kind: 'enroll'; reason: 'no-certificate'; targetTemplate: string }
  | { kind: 'retrieve'; reason: 'pending-poll'; requestId: string }
  | { kind: 'renew'; reason: 'in-window' | 'forced'; reuseKey: boolean }
  | { kind: 're-enroll'; reason: ReenrollReason; targetTemplate: string }
  | { kind: 'wait'; reason: WaitReason; untilMs: number }
  | { kind: 'needs-attention'; reason: AttentionReason; message: string }
  /** The operation filter kept the step from running; `blocked` is what a full pass would do. */
  | { kind: 'skip'; reason: 'operation-filter'; blocked: PlannedStep };

/** Timing facts for `status` and `plan --at`; null where they do not apply. */
export interface PlanTiming {
  notAfterMs: number | null;
  /** Opening of the renewal window (after the minimum-fraction clamp). */
  windowStartMs: number | null;
  /** Retry instant while backing off. */
  retryAtMs: number | null;
  /** Next scheduled poll of a pending request. */
  nextPollAtMs: number | null;
  /** When a pending request is given up. */
  pendingDeadlineMs: number | null;
}

export type CertificateAction = PlannedStep & {
  certificateId: string;
  status: CertificateStatus;
  /** The planned renewal instant of the current certificate (per-host slot), null without one. */
  renewAtMs: number | null;
  /** When this certificate next needs the service awake: now when acting, null when never on its own. */
  nextEventMs: number | null;
  timing: PlanTiming;
  /** Non-fatal findings worth logging (e.g. superseded but no credentials to move). */
  warnings: string[];
};

export interface PlanResult {
  actions: CertificateAction[];
  /** When the policy should be fetched again (≤ now: fetch now). */
  policyRefreshAtMs: number;
  /** The earliest instant anything is due: the service sleeps until then. */
  nextWakeAtMs: number;
}
