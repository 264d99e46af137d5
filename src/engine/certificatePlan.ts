// The decision for one certificate. Pure: a function of the input, the instant and the settings.
// Rules are applied in order of precedence; each names its protocol.md section.
import { didYouMean } from './nearestNames.js';
import { backoffDelayMs, remainingValidityMs } from './backoff.js';
import { hostOffset, uniformFraction } from './hostOffset.js';
import { nextPendingPollAt, pendingDeadline } from './pendingPoll.js';
import type {
  AttentionReason,
  CertificatePlanInput,
  CertificateStatus,
  PlannedStep,
  PlanOperation,
  PlanTiming,
  PolicyTemplateView,
  ReenrollReason,
  ScheduleSettings,
} from './plannerTypes.js';
import { plannedRenewalAt, renewalWindow } from './renewalWindow.js';
import { kerberosOnlyMessage } from '../transport/enrollmentEndpoints.js';

export interface CertificateContext {
  nowMs: number;
  hostId: string;
  /** A policy was fetched at least once (else a missing template means "no policy yet"). */
  policyKnown: boolean;
  /** A pass asked for the policy at least once (fetched, or failed on every server). */
  policyAttempted: boolean;
  /** The template names the known policy offers (empty when unknown). */
  offeredTemplates?: readonly string[];
  operation: PlanOperation | undefined;
  force: boolean;
  reuseKeyOverride: boolean | undefined;
  settings: ScheduleSettings;
}

export interface CertificateDecision {
  step: PlannedStep;
  status: CertificateStatus;
  renewAtMs: number | null;
  nextEventMs: number | null;
  timing: PlanTiming;
  warnings: string[];
}

const DAY_MS = 86_400_000;

export function decideCertificate(c: CertificatePlanInput, ctx: CertificateContext): CertificateDecision {
  const { nowMs, settings: s } = ctx;
  // A one-shot command is someone asking now: it does not wait for the host slot, the backoff or
  // the poll cadence, which exist to spread and pace the unattended service.
  const manual = ctx.operation !== undefined;
  const cert = c.current;
  const template = c.template;
  const canEnroll = c.passwordCredentials && c.endpoints.usernameEnrollment;
  const timing: PlanTiming = {
    notAfterMs: cert ? cert.notAfterMs : null,
    windowStartMs: null,
    retryAtMs: null,
    nextPollAtMs: null,
    pendingDeadlineMs: null,
  };
  const warnings: string[] = [];

  // Renewal window and planned instant, whenever there is a certificate and a renewal period.
  const periodMs = c.configured.renewalPeriodMs ?? (template ? template.renewalSeconds * 1000 : undefined);
  const window = cert && periodMs !== undefined
    ? renewalWindow(cert, periodMs, c.configured.minRenewalFraction ?? 0.5)
    : undefined;
  let renewAtMs: number | null = null;
  if (cert && window?.kind === 'open-at') {
    timing.windowStartMs = window.windowStartMs;
    const jitter = uniformFraction('renewal-jitter', ctx.hostId, c.id, cert.thumbprint);
    renewAtMs = plannedRenewalAt(window, hostOffset(ctx.hostId, c.id), jitter, s);
  }

  const decision = (step: PlannedStep, status: CertificateStatus, nextEventMs: number | null): CertificateDecision =>
    ({ step, status, renewAtMs, nextEventMs, timing, warnings });
  const act = (step: PlannedStep, status: CertificateStatus): CertificateDecision => decision(step, status, nowMs);
  const wait = (reason: Extract<PlannedStep, { kind: 'wait' }>['reason'], untilMs: number, status: CertificateStatus) =>
    decision({ kind: 'wait', reason, untilMs }, status, untilMs);
  // While the certificate is still valid, wake at expiry so its status turns EXPIRED on time.
  const attention = (reason: AttentionReason, message: string, status: CertificateStatus = 'NEEDS_ATTENTION') =>
    decision(
      { kind: 'needs-attention', reason, message },
      status,
      cert && cert.notAfterMs > nowMs ? cert.notAfterMs : null,
    );
  // Backoff gate for the unattended service after failures; null when an attempt may go now.
  const backingOff = (): number | null => {
    if (manual) return null;
    const retryAtMs = retryAt(c, ctx.hostId, s);
    if (retryAtMs === null || retryAtMs <= nowMs) return null;
    timing.retryAtMs = retryAtMs;
    return retryAtMs;
  };
  const missingTemplate = (status: CertificateStatus = 'NEEDS_ATTENTION') =>
    ctx.policyKnown
      ? attention(
          'template-not-in-policy',
          `template "${c.configured.template}" is not in the enrollment policy${didYouMean(c.configured.template, ctx.offeredTemplates ?? [])}: check the template name, that it is published on a CA, and that the policy account may read it`,
          status,
        )
      : attention('no-policy', 'no enrollment policy has been fetched yet: no policy server answered', status);

  // 1. Pending request (protocol.md §6.4): poll it, never submit a second request beside it.
  if (c.pending) {
    const deadlineMs = pendingDeadline(c.pending, s);
    let pollAtMs = nextPendingPollAt(c.pending, s);
    if (c.failures.consecutiveFailures > 0 && c.failures.nextAttemptAtMs !== undefined) {
      pollAtMs = Math.max(pollAtMs, c.failures.nextAttemptAtMs);
    }
    timing.pendingDeadlineMs = deadlineMs;
    timing.nextPollAtMs = pollAtMs;
    if (nowMs >= deadlineMs && ctx.operation !== 'retrieve') {
      const days = Math.floor((nowMs - c.pending.submittedAtMs) / DAY_MS);
      return attention(
        'pending-too-old',
        `request ${c.pending.requestId} has been pending for ${days} days: ask the CA administrator to issue or deny it, then run "autoenroll retrieve"`,
      );
    }
    const step: PlannedStep = { kind: 'retrieve', reason: 'pending-poll', requestId: c.pending.requestId };
    if (manual || nowMs >= pollAtMs) return act(step, 'PENDING');
    return wait('pending-not-due', Math.min(pollAtMs, deadlineMs), 'PENDING');
  }

  // 2. No certificate yet: initial enrollment with username/password (protocol.md §6.3 item 6;
  //    only templates the config names).
  if (!cert) {
    // A fresh install: no pass has asked for the policy yet. The next one fetches it and then
    // enrolls, so this is a new certificate, not one that needs a human; only a pass that failed
    // to get a policy makes it NEEDS_ATTENTION.
    if (!template && !ctx.policyKnown && !ctx.policyAttempted) {
      if (!c.passwordCredentials) return attention('no-credentials', noCredentialsMessage(c, 'enroll'));
      warnings.push('no enrollment policy has been fetched yet: the next pass fetches it, then enrolls');
      return act({ kind: 'enroll', reason: 'no-certificate', targetTemplate: c.configured.template }, 'NEW');
    }
    if (!template) return missingTemplate();
    if (c.endpoints.kerberosOnly && template) return attention('kerberos-only', kerberosOnlyMessage(template.commonName, []));
    if (!canEnroll) return attention('no-credentials', noCredentialsMessage(c, 'enroll'));
    const retryAtMs = backingOff();
    if (retryAtMs !== null) return wait('backing-off', retryAtMs, 'BACKING_OFF');
    return act({ kind: 'enroll', reason: 'no-certificate', targetTemplate: enrollmentTarget(template) }, 'NEW');
  }

  // 3. Expired (protocol.md §6.3 item 5): key-based renewal is impossible (CA and TLS reject an
  //    expired certificate); only a new enrollment with credentials recovers it.
  if (nowMs >= cert.notAfterMs) {
    // No credentials: nothing can recover it, with or without a policy (EXPIRED, exit 7).
    if (!template && !c.passwordCredentials) return attention('expired-no-credentials', noCredentialsMessage(c, 'expired'), 'EXPIRED');
    if (!template) return missingTemplate('EXPIRED');
    if (c.endpoints.kerberosOnly) return attention('kerberos-only', kerberosOnlyMessage(template.commonName, []), 'EXPIRED');
    if (!canEnroll) return attention('expired-no-credentials', noCredentialsMessage(c, 'expired'), 'EXPIRED');
    const retryAtMs = backingOff();
    if (retryAtMs !== null) return wait('backing-off', retryAtMs, 'EXPIRED');
    return act({ kind: 're-enroll', reason: 'expired', targetTemplate: enrollmentTarget(template) }, 'EXPIRED');
  }

  if (!template) return missingTemplate();

  // 4. Template identity moved on (protocol.md §6.3 items 3 and 4). The CA renews only within the
  //    same template, so following it takes a new enrollment.
  const reenroll = templateChange(c, template, s, warnings);
  if (reenroll) {
    if (canEnroll) {
      const retryAtMs = backingOff();
      if (retryAtMs !== null) return wait('backing-off', retryAtMs, 'BACKING_OFF');
      return act({ kind: 're-enroll', reason: reenroll, targetTemplate: enrollmentTarget(template) }, 'RENEW_DUE');
    }
    if (reenroll === 'template-changed') {
      return attention(
        'no-credentials',
        `the certificate was issued from template ${cert.templateOid ?? '?'} but the config names "${c.configured.template}" (${template.oid}); key-based renewal keeps the template, so enrolling for the new one needs username credentials`,
      );
    }
    warnings.push(
      reenroll === 'superseded'
        ? `template "${template.commonName}" is superseded by "${template.supersededBy ?? ''}"; without username credentials the certificate keeps renewing from the old template`
        : `template "${template.commonName}" has a newer major revision (${template.majorRevision}); without username credentials the certificate keeps its revision`,
    );
  }

  const inWindow = timing.windowStartMs !== null && nowMs >= timing.windowStartMs;

  // 5. CT_FLAG_SKIP_AUTO_RENEWAL (protocol.md §6.3 item 1): automatic passes leave it alone; an
  //    explicit `renew` still may.
  if (template.flags.skipAutoRenewal && !ctx.force && (ctx.operation === undefined || ctx.operation === 'pulse')) {
    if (inWindow) warnings.push(`template "${template.commonName}" disables automatic renewal; run "autoenroll renew" to renew it`);
    return wait('skip-auto-renewal', cert.notAfterMs, 'VALID');
  }

  // 6. Renewal window (protocol.md §6.3 item 2). `--force` ignores the window, the minimum fraction
  //    and the loop guard.
  if (!ctx.force) {
    if (window?.kind === 'issued-inside-window') {
      return attention(
        'issued-inside-window',
        `the renewal period (${seconds(window.renewalPeriodMs)}) is not shorter than the certificate lifetime (${seconds(window.lifetimeMs)}): every renewal would be due at once, so it is not renewed automatically; shorten the template's renewal period or the configured renewalPeriod, or run "autoenroll renew --force"`,
      );
    }
    if (window?.kind === 'empty' || timing.windowStartMs === null || renewAtMs === null) {
      return attention(
        'empty-renewal-window',
        'minRenewalFraction leaves no time to renew before expiry; lower it or run "autoenroll renew --force"',
      );
    }
    const dueAtMs = manual ? timing.windowStartMs : renewAtMs;
    if (nowMs < dueAtMs) return wait('before-renewal', dueAtMs, inWindow ? 'RENEW_DUE' : 'VALID');
  }

  // Due. Backoff (protocol-independent pacing) applies to the unattended service only.
  const retryAtMs = ctx.force ? null : backingOff();
  if (retryAtMs !== null) return wait('backing-off', retryAtMs, 'BACKING_OFF');

  // 7. Path (protocol.md §7.2): key-based renewal through a renewal-only certificate CES when the
  //    template allows it (§2.3.3 0x10000, §5), else a new enrollment with credentials.
  const reason = ctx.force ? 'forced' : 'in-window';
  if (c.endpoints.keyBasedRenewal && template.flags.allowKeyBasedRenewal) {
    if (!template.flags.previousApprovalValidateReenrollment) {
      warnings.push(`template "${template.commonName}" allows key-based renewal without "valid existing certificate" re-enrollment (0x40); the CA may still require approval`);
    }
    let reuseKey = ctx.reuseKeyOverride ?? c.configured.reuseKey;
    // §2.3.1 0x80: the CA rejects a renewal with a new key (CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY).
    if (template.flags.requireSameKeyRenewal && !reuseKey) {
      reuseKey = true;
      warnings.push(`template "${template.commonName}" requires renewal with the same key; reusing it`);
    }
    return act({ kind: 'renew', reason, reuseKey }, 'RENEW_DUE');
  }
  if (canEnroll) {
    return act({ kind: 're-enroll', reason: 'renewal-impossible', targetTemplate: enrollmentTarget(template) }, 'RENEW_DUE');
  }
  return attention(
    'no-renewal-path',
    c.endpoints.keyBasedRenewal
      ? `template "${template.commonName}" does not allow key-based renewal and no username credentials are configured`
      : 'the policy offers no key-based renewal endpoint (renewal-only CES with certificate authentication) for this template and no username credentials are configured',
  );
}

/** Superseding template first (protocol.md §6.3 item 3). */
function enrollmentTarget(template: PolicyTemplateView): string {
  return template.supersededBy ?? template.commonName;
}

function templateChange(
  c: CertificatePlanInput,
  template: PolicyTemplateView,
  s: ScheduleSettings,
  warnings: string[],
): ReenrollReason | undefined {
  const cert = c.current;
  if (!cert) return undefined;
  const fromConfigured = cert.templateOid === undefined || cert.templateOid === template.oid;
  if (template.supersededBy !== undefined) {
    if (fromConfigured) return 'superseded';
    // Already re-enrolled away from the superseded template: moving again would loop.
    if (template.supersededByOid === undefined || template.supersededByOid === cert.templateOid) {
      warnings.push(
        `the config names "${template.commonName}", superseded by "${template.supersededBy}", which the certificate already comes from; update the config`,
      );
      return undefined;
    }
  }
  if (!fromConfigured) return 'template-changed';
  if (s.reenrollOnTemplateUpdate && cert.templateMajorVersion !== undefined && template.majorRevision > cert.templateMajorVersion) {
    return 'template-updated';
  }
  return undefined;
}

/**
 * The retry instant after failures: the stored draw when the executor kept one, else a full-jitter
 * delay whose draw is derived from the failure record (stable across re-plans and processes, yet
 * different across hosts and failures).
 */
export function retryAt(c: CertificatePlanInput, hostId: string, s: ScheduleSettings): number | null {
  const f = c.failures;
  if (f.consecutiveFailures <= 0) return null;
  if (f.nextAttemptAtMs !== undefined) return f.nextAttemptAtMs;
  if (f.lastAttemptAtMs === undefined) return null;
  const draw = uniformFraction('retry', hostId, c.id, f.consecutiveFailures, f.lastAttemptAtMs);
  const remaining = remainingValidityMs(c.current?.notAfterMs, f.lastAttemptAtMs);
  return f.lastAttemptAtMs + backoffDelayMs(f.consecutiveFailures, remaining, draw, s);
}

function noCredentialsMessage(c: CertificatePlanInput, why: 'enroll' | 'expired'): string {
  const what = why === 'expired'
    ? 'the certificate has expired and key-based renewal is impossible; a new enrollment'
    : 'there is no certificate yet; the initial enrollment';
  if (!c.passwordCredentials) return `${what} needs username/password credentials on a policy server (username, password)`;
  return `${what} needs a username/password enrollment service (CES), and the policy lists none for this template`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
