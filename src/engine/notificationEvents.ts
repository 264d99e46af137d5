// Which notifications a certificate's change of state calls for. Pure: the previous memory (what
// was already announced, kept in stateDir/notifications.json) and the current facts in, the new
// events and the new memory out. Events fire on changes, not on every retry: a failure streak is
// announced once, again when its cause changes or after `repeatMs` (daily by default), a pending
// request once per RequestID and again daily, each expiry threshold once per certificate.

export const NOTIFICATION_EVENTS = ['renewal-failing', 'pending-approval', 'expiring', 'expired', 'needs-attention', 'recovered', 'installed'] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

/** What the store and the last pass say about one certificate now. */
export interface CertificateFacts {
  id: string;
  /** cli.md status: NEW, PENDING, VALID, RENEW_DUE, BACKING_OFF, EXPIRED, NEEDS_ATTENTION. */
  status: string;
  /** The installed certificate, if any. */
  thumbprint: string | null;
  serial: string | null;
  notAfterMs: number | null;
  /** notBefore of the installed certificate: thresholds as long as its whole lifetime are not news. */
  notBeforeMs: number | null;
  renewAtMs: number | null;
  generation: number | null;
  /** The certificate the installed one replaced, when the last pass installed it. */
  previousThumbprint: string | null;
  /** The last pass installed a new certificate (lets a first observation announce it). */
  installedThisPass: boolean;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
  /** The last error (never a secret: errors name causes, not values). */
  error: { code: string; message: string } | null;
  /**
   * What "the cause" of a failure streak is, when the error code alone would flap: a failover error
   * takes its code from whichever endpoint came last in a shuffled order, so the key is the sorted
   * set of the endpoints' codes. Absent: the error code.
   */
  causeKey?: string | null;
  /** Why a human is needed, when the status is NEEDS_ATTENTION or EXPIRED. */
  attentionMessage: string | null;
  pending: { requestId: string; ca: string | null; endpoint: string; submittedAtMs: number } | null;
}

/** Per certificate: what was already announced. */
export interface NotificationMemory {
  /** Thumbprint last seen (installed announcements fire when it changes). */
  thumbprint: string | null;
  /** The failure streak announced: its cause and when it was last announced. */
  failing: { code: string; notifiedAtMs: number } | null;
  pending: { requestId: string; notifiedAtMs: number } | null;
  /** Thresholds (ms before notAfter) announced for `expiringThumbprint`. */
  expiringThumbprint: string | null;
  expiringNotifiedMs: number[];
  /** The certificate whose expiry was announced. */
  expiredThumbprint: string | null;
  /** The cause announced with needs-attention. */
  attention: { code: string; notifiedAtMs: number } | null;
}

export interface NotificationSettings {
  /** How long before notAfter `expiring` fires; each threshold once per certificate. */
  expiringBeforeMs: readonly number[];
  /** A failure streak or a pending request is announced again after this long. */
  repeatMs: number;
}

export interface NotificationEvent {
  type: NotificationEventType;
  certificateId: string;
  /** ISO 8601. */
  at: string;
  /** One line for people (also the syslog message). */
  summary: string;
  status: string;
  thumbprint: string | null;
  previousThumbprint: string | null;
  serial: string | null;
  notAfter: string | null;
  renewAt: string | null;
  generation: number | null;
  consecutiveFailures: number;
  error: { code: string; message: string } | null;
  pending: { requestId: string; ca: string | null; endpoint: string; submittedAt: string; ageSeconds: number } | null;
  /** `expiring`: the threshold crossed, in seconds before notAfter. */
  thresholdSeconds: number | null;
  /** `expiring` / `expired`: seconds left until notAfter (negative once expired). */
  secondsLeft: number | null;
  /** `renewal-failing` / `pending-approval`: repeated because `repeatMs` passed with no change. */
  repeated: boolean;
}

export const EMPTY_MEMORY: NotificationMemory = {
  thumbprint: null,
  failing: null,
  pending: null,
  expiringThumbprint: null,
  expiringNotifiedMs: [],
  expiredThumbprint: null,
  attention: null,
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const ATTENTION_STATES = new Set(['NEEDS_ATTENTION', 'EXPIRED']);

/**
 * The events `facts` call for given `previous` (null: never seen — nothing to recover from, and an
 * existing certificate is not announced as installed unless this pass installed it).
 */
export function deriveNotifications(
  previous: NotificationMemory | null,
  facts: CertificateFacts,
  nowMs: number,
  settings: NotificationSettings,
): { events: NotificationEvent[]; memory: NotificationMemory } {
  const memory: NotificationMemory = { ...(previous ?? EMPTY_MEMORY), expiringNotifiedMs: [...(previous?.expiringNotifiedMs ?? [])] };
  const events: NotificationEvent[] = [];
  const emit = (type: NotificationEventType, summary: string, extra: Partial<NotificationEvent> = {}): void => {
    events.push(baseEvent(type, facts, nowMs, summary, extra));
  };

  // installed: a new thumbprint.
  if (facts.thumbprint !== null && facts.thumbprint !== memory.thumbprint && (previous !== null || facts.installedThisPass)) {
    emit('installed', `${facts.id}: certificate ${facts.thumbprint} installed, valid until ${iso(facts.notAfterMs) ?? '?'}`);
  }
  if (facts.thumbprint !== memory.thumbprint) {
    memory.expiringThumbprint = null;
    memory.expiringNotifiedMs = [];
  }
  memory.thumbprint = facts.thumbprint;

  const hadProblem = memory.failing !== null || memory.attention !== null || memory.expiredThumbprint !== null;

  // needs-attention: a human is needed; announced once per cause.
  const attentionNow = ATTENTION_STATES.has(facts.status);
  if (attentionNow && facts.status === 'NEEDS_ATTENTION') {
    const code = facts.error?.code ?? 'NEEDS_ATTENTION';
    if (memory.attention?.code !== code) {
      emit('needs-attention', `${facts.id}: needs attention: ${facts.attentionMessage ?? facts.error?.message ?? 'see autoenroll status'}`);
      memory.attention = { code, notifiedAtMs: nowMs };
    }
  } else if (!attentionNow) {
    memory.attention = null;
  }

  // expired: the installed certificate is past notAfter; once per certificate.
  const expired = facts.thumbprint !== null && facts.notAfterMs !== null && facts.notAfterMs <= nowMs;
  if (expired && memory.expiredThumbprint !== facts.thumbprint) {
    emit('expired', `${facts.id}: certificate ${facts.thumbprint} expired at ${iso(facts.notAfterMs)}${facts.attentionMessage ? `; ${facts.attentionMessage}` : ''}`, {
      secondsLeft: Math.round(((facts.notAfterMs as number) - nowMs) / 1000),
    });
    memory.expiredThumbprint = facts.thumbprint;
  } else if (!expired) {
    memory.expiredThumbprint = null;
  }

  // expiring: the smallest threshold crossed and not yet announced for this certificate.
  if (!expired && facts.thumbprint !== null && facts.notAfterMs !== null) {
    const leftMs = facts.notAfterMs - nowMs;
    const crossed = applicableThresholds(facts, settings).filter((t) => leftMs <= t);
    const fresh = crossed.filter((t) => !memory.expiringNotifiedMs.includes(t));
    if (fresh.length > 0) {
      const threshold = Math.min(...fresh);
      emit('expiring', `${facts.id}: certificate ${facts.thumbprint} expires at ${iso(facts.notAfterMs)} (in ${formatSeconds(leftMs / 1000)}) and is not renewed yet`, {
        thresholdSeconds: Math.round(threshold / 1000),
        secondsLeft: Math.round(leftMs / 1000),
      });
      memory.expiringThumbprint = facts.thumbprint;
      memory.expiringNotifiedMs = [...new Set([...memory.expiringNotifiedMs, ...crossed])].sort((a, b) => b - a);
    }
  }

  // renewal-failing: first failure of a streak, a new cause, or `repeatMs` later.
  const failing = facts.consecutiveFailures > 0 && facts.error !== null && !attentionNow;
  if (failing) {
    const error = facts.error as { code: string; message: string };
    const cause = facts.causeKey ?? error.code;
    const last = memory.failing;
    const repeated = last !== null && last.code === cause && nowMs - last.notifiedAtMs >= settings.repeatMs;
    if (last === null || last.code !== cause || repeated) {
      emit('renewal-failing', `${facts.id}: ${facts.consecutiveFailures} failed attempt${facts.consecutiveFailures === 1 ? '' : 's'}: ${error.message} [${error.code}]`, { repeated });
      memory.failing = { code: cause, notifiedAtMs: nowMs };
    }
  } else if (!attentionNow) {
    memory.failing = null;
  }

  // pending-approval: per RequestID, repeated while it waits.
  if (facts.pending !== null) {
    const last = memory.pending;
    const repeated = last !== null && last.requestId === facts.pending.requestId && nowMs - last.notifiedAtMs >= settings.repeatMs;
    if (last === null || last.requestId !== facts.pending.requestId || repeated) {
      const ageSeconds = Math.max(0, Math.round((nowMs - facts.pending.submittedAtMs) / 1000));
      emit('pending-approval', `${facts.id}: request ${facts.pending.requestId} waits for approval by a CA manager${facts.pending.ca ? ` of ${facts.pending.ca}` : ''} (submitted ${formatSeconds(ageSeconds)} ago)`, { repeated });
      memory.pending = { requestId: facts.pending.requestId, notifiedAtMs: nowMs };
    }
  } else {
    memory.pending = null;
  }

  // recovered: a problem that was announced is gone and the certificate is healthy.
  const healthy = !failing && !attentionNow && !expired && facts.thumbprint !== null;
  if (hadProblem && healthy && memory.failing === null && memory.attention === null && memory.expiredThumbprint === null) {
    emit('recovered', `${facts.id}: healthy again (${facts.status}), certificate ${facts.thumbprint} valid until ${iso(facts.notAfterMs) ?? '?'}`);
  }

  return { events, memory };
}

function baseEvent(type: NotificationEventType, facts: CertificateFacts, nowMs: number, summary: string, extra: Partial<NotificationEvent>): NotificationEvent {
  return {
    type,
    certificateId: facts.id,
    at: new Date(nowMs).toISOString(),
    summary,
    status: facts.status,
    thumbprint: facts.thumbprint,
    previousThumbprint: facts.previousThumbprint,
    serial: facts.serial,
    notAfter: iso(facts.notAfterMs),
    renewAt: iso(facts.renewAtMs),
    generation: facts.generation,
    consecutiveFailures: facts.consecutiveFailures,
    error: facts.error ? { code: facts.error.code, message: facts.error.message } : null,
    pending: facts.pending
      ? {
          requestId: facts.pending.requestId,
          ca: facts.pending.ca,
          endpoint: facts.pending.endpoint,
          submittedAt: new Date(facts.pending.submittedAtMs).toISOString(),
          ageSeconds: Math.max(0, Math.round((nowMs - facts.pending.submittedAtMs) / 1000)),
        }
      : null,
    thresholdSeconds: null,
    secondsLeft: null,
    repeated: false,
    ...extra,
  };
}

/** A 1-day certificate is always within 7 days of its expiry: only thresholds shorter than the lifetime count. */
function applicableThresholds(facts: CertificateFacts, settings: NotificationSettings): number[] {
  const lifetime = facts.notAfterMs !== null && facts.notBeforeMs !== null ? facts.notAfterMs - facts.notBeforeMs : null;
  return settings.expiringBeforeMs.filter((t) => lifetime === null || t < lifetime);
}

function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86400) return `${(s / 86400).toFixed(1).replace(/\.0$/, '')} d`;
  if (s >= 3600) return `${(s / 3600).toFixed(1).replace(/\.0$/, '')} h`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}

/** The next instant an expiry threshold or notAfter is crossed for these facts (the service wakes then), or null. */
export function nextThresholdAt(facts: CertificateFacts, memory: NotificationMemory | null, nowMs: number, settings: NotificationSettings): number | null {
  if (facts.notAfterMs === null || facts.thumbprint === null) return null;
  const notified = memory?.thumbprint === facts.thumbprint ? (memory?.expiringNotifiedMs ?? []) : [];
  const instants = [...applicableThresholds(facts, settings).filter((t) => !notified.includes(t)).map((t) => (facts.notAfterMs as number) - t), facts.notAfterMs].filter((at) => at > nowMs);
  return instants.length === 0 ? null : Math.min(...instants);
}
