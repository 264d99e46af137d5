// What `status` and `plan` show: the stored state of every configured certificate, run through the
// same planner the service uses (so both agree on the state and the next instant), without any
// network. Reading is tolerant: a certificate whose files cannot be read still gets a row, with
// the reason in lastError, instead of hiding the others.
//
// Start-up cost matters here (`status` is run by monitoring scripts): this file and what it
// imports stay clear of pkijs, undici and saxes.
import type { Config, PolicyServerConfig } from '../config/types.js';
import { errorToJson } from '../errors.js';
import type { ErrorJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { describeCertificate } from '../pki/certInfo.js';
import { pemDecode } from '../pki/pem.js';
import type { Store } from '../store/storeTypes.js';
import type { CachedPolicyFile, PolicyView } from './cachedPolicy.js';
import { mergePolicy } from './cachedPolicy.js';
import { plan } from './planner.js';
import type { CertificateAction, CertificateStatus, PlannerInput, PlanOptions, PlanResult, PolicyFreshnessView } from './plannerTypes.js';
import { buildPlannerInput, scheduleOverrides } from './plannerInput.js';
import type { CertificateSnapshot } from './plannerInput.js';
import { attemptsFreshness, readPolicyAttempts, readPolicyCache } from './policyCache.js';
import type { PolicyAttempts } from './policyCache.js';

/** One configured certificate as read from the store, or why it could not be read. */
export type SnapshotRead = { ok: true; snapshot: CertificateSnapshot } | { ok: false; config: Config['certificates'][number]; error: ErrorJson };

export interface StatusInputs {
  config: Config;
  reads: SnapshotRead[];
  /** Cached policies that apply to this config, the one of the most preferred server first. */
  views: PolicyView[];
  /** Failed policy refreshes while nothing is cached (null: no pass has tried yet, or one succeeded). */
  policyAttempts: PolicyAttempts | null;
  hostId: string;
}

/** cli.md `status --json`: one object per configured certificate. */
export interface StatusRow {
  id: string;
  state: CertificateStatus;
  template: string;
  subject: string | null;
  serial: string | null;
  /** SHA-1 of the certificate DER, upper-case hex (like Windows). */
  thumbprint: string | null;
  notBefore: string | null;
  notAfter: string | null;
  renewAt: string | null;
  pendingRequestId: string | null;
  /** The URL that served the last request. */
  endpoint: string | null;
  lastError: (ErrorJson & { at?: string; hresult?: number; requestId?: string }) | null;
  generation: number | null;
  /** What the service's next pass does for it ("renew/in-window", "wait/before-renewal", ...). */
  next: string;
  /** When that happens (ISO 8601); null when nothing is scheduled on its own. */
  nextAt: string | null;
  /** Why a human is needed (NEEDS_ATTENTION), or a warning of the planner. */
  message: string | null;
}

export interface Evaluation {
  rows: StatusRow[];
  /** Planner output for the certificates that could be read (aligned by certificateId). */
  plan: PlanResult;
  input: PlannerInput;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** Reads one certificate's state, current generation and pending request. Never throws. */
export async function readSnapshot(store: Store, config: Config['certificates'][number]): Promise<SnapshotRead> {
  try {
    const certificate = store.certificate(config.id);
    const [state, generation, pending] = await Promise.all([certificate.readState(), certificate.current(), certificate.readPending()]);
    let current: CertificateSnapshot['current'] = null;
    if (generation) {
      const [certDer] = pemDecode(generation.certPem, 'CERTIFICATE', `${generation.dir}/cert.pem`);
      if (certDer) current = { generation, certDer, description: describeCertificate(certDer) };
    }
    return { ok: true, snapshot: { config, state, current, pending } };
  } catch (error) {
    return { ok: false, config, error: errorToJson(error) };
  }
}

/** Cached policy files that came from servers of this config, most preferred server first. */
export function applicablePolicies(files: readonly CachedPolicyFile[], servers: readonly PolicyServerConfig[]): PolicyView[] {
  const rank = (file: CachedPolicyFile): number => {
    const ranks = file.sources.map((s) => servers.findIndex((p) => p.url === s.url)).filter((i) => i >= 0);
    return ranks.length === 0 ? -1 : Math.min(...ranks);
  };
  return files
    .map((file) => ({ file, rank: rank(file) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((x) => mergePolicy(x.file));
}

/** How the scheduled pass sees the cache (a one-shot command's view differs only in the retry backoff). */
export function policyFreshness(view: PolicyView | undefined): PolicyFreshnessView | null {
  if (!view) return null;
  const freshness: PolicyFreshnessView = { fetchedAtMs: view.fetchedAtMs, templateNames: view.templates.map((t) => t.commonName) };
  if (view.nextUpdateAtMs !== undefined) freshness.nextUpdateAtMs = view.nextUpdateAtMs;
  if (view.consecutiveFailures > 0) {
    freshness.consecutiveFailures = view.consecutiveFailures;
    if (view.lastAttemptAtMs !== undefined) freshness.lastAttemptAtMs = view.lastAttemptAtMs;
  }
  return freshness;
}

export async function readStatusInputs(config: Config, store: Store, hostId: string, logger: Logger, ids?: readonly string[]): Promise<StatusInputs> {
  const chosen = ids && ids.length > 0 ? config.certificates.filter((c) => ids.includes(c.id)) : config.certificates;
  const [reads, files, policyAttempts] = await Promise.all([
    Promise.all(chosen.map((c) => readSnapshot(store, c))),
    readPolicyCache(config.stateDir, logger),
    readPolicyAttempts(config.stateDir, logger),
  ]);
  return { config, reads, views: applicablePolicies(files, config.policyServers), policyAttempts, hostId };
}

function stepSummary(action: CertificateAction): { next: string; nextAt: number | null; message: string | null } {
  const step = action.kind === 'skip' ? action.blocked : action;
  const label = `${step.kind}/${step.reason}`;
  const message = step.kind === 'needs-attention' ? step.message : (action.warnings[0] ?? null);
  const nextAt = step.kind === 'wait' ? step.untilMs : action.nextEventMs;
  return { next: label, nextAt, message };
}

/** Plans every readable certificate at `nowMs` and builds the rows (pure). */
export function evaluateStatus(inputs: StatusInputs, nowMs: number, options: PlanOptions = {}): Evaluation {
  const snapshots = inputs.reads.flatMap((r) => (r.ok ? [r.snapshot] : []));
  const input = buildPlannerInput({
    hostId: inputs.hostId,
    config: inputs.config,
    views: inputs.views,
    freshness: inputs.views[0] ? policyFreshness(inputs.views[0]) : attemptsFreshness(inputs.policyAttempts, false),
    snapshots,
  });
  const result = plan(input, nowMs, { ...options, schedule: { ...scheduleOverrides(inputs.config), ...options.schedule } });
  const byId = new Map(result.actions.map((a) => [a.certificateId, a]));

  const rows = inputs.reads.map((read): StatusRow => {
    if (!read.ok) {
      return {
        ...emptyRow(read.config.id, read.config.template),
        lastError: read.error,
        next: 'needs-attention/state-unreadable',
        message: `the stored state cannot be read: ${read.error.message}`,
      };
    }
    const { config, state, current, pending } = read.snapshot;
    const action = byId.get(config.id);
    const meta = current?.generation.meta;
    const description = current?.description;
    const summary = action ? stepSummary(action) : { next: 'none', nextAt: null, message: null };
    const status: CertificateStatus = action?.status ?? 'NEW';
    const stored = state?.lastError ?? null;
    return {
      id: config.id,
      state: status,
      template: config.template,
      subject: description?.subject ?? meta?.subject ?? config.subject ?? null,
      serial: meta?.serialHex ?? description?.serialHex ?? null,
      thumbprint: description?.thumbprintSha1 ?? meta?.thumbprintSha1 ?? null,
      notBefore: description ? description.notBefore.toISOString() : (meta?.notBefore ?? null),
      notAfter: description ? description.notAfter.toISOString() : (meta?.notAfter ?? null),
      renewAt: iso(action?.renewAtMs),
      pendingRequestId: pending?.meta.requestId ?? state?.pending?.requestId ?? null,
      endpoint: state?.lastEndpoint ?? meta?.endpoint ?? null,
      lastError: stored
        ? {
            code: stored.code,
            message: stored.message,
            at: stored.at,
            ...(stored.hresult !== undefined ? { hresult: stored.hresult } : {}),
            ...(stored.requestId !== undefined ? { requestId: stored.requestId } : {}),
          }
        : null,
      generation: current?.generation.number ?? null,
      next: summary.next,
      nextAt: iso(summary.nextAt),
      message: summary.message,
    };
  });
  return { rows, plan: result, input };
}

function emptyRow(id: string, template: string): StatusRow {
  return {
    id,
    state: 'NEEDS_ATTENTION',
    template,
    subject: null,
    serial: null,
    thumbprint: null,
    notBefore: null,
    notAfter: null,
    renewAt: null,
    pendingRequestId: null,
    endpoint: null,
    lastError: null,
    generation: null,
    next: 'none',
    nextAt: null,
    message: null,
  };
}
