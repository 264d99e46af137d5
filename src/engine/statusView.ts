// What `status` and `plan` show: the stored state of every configured certificate, run through the
// same planner the service uses (so both agree on the state and the next instant), without any
// network. Reading is tolerant: a certificate whose files cannot be read still gets a row, with
// the reason in lastError, instead of hiding the others.
//
// Start-up cost matters here (`status` is run by monitoring scripts): this file and what it
// imports stay clear of pkijs, undici and saxes.
import { outputsDrift } from '../store/outputsDrift.js';
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
import type { AutoenrollEntry } from './autoenrollment.js';
import { deriveFromStore } from './autoenrollStep.js';
import { UsageError } from '../errors.js';
import { isPkcs11Uri } from '../pki/pkcs11Uri.js';

/** One configured certificate as read from the store, or why it could not be read. */
export type SnapshotRead =
  | { ok: true; snapshot: CertificateSnapshot; /** The output files are missing, elsewhere, or of another generation. */ outputs?: 'missing' | 'paths' | 'generation' }
  | { ok: false; config: Config['certificates'][number]; error: ErrorJson };

export interface StatusInputs {
  config: Config;
  reads: SnapshotRead[];
  /** Cached policies that apply to this config, the one of the most preferred server first. */
  views: PolicyView[];
  /** Failed policy refreshes while nothing is cached (null: no pass has tried yet, or one succeeded). */
  policyAttempts: PolicyAttempts | null;
  hostId: string;
  /** Policy-driven certificates (autoenroll section), derived from the cached policy; empty without. */
  autoenroll: AutoenrollEntry[];
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
  /** Submissions that timed out and that the CA may still have issued (check them at the CA). */
  possibleOrphans: Array<{ endpoint: string; at: string; requestDigest: string }>;
  generation: number | null;
  /** The current generation's key object in a PKCS#11 token (its URI), for a token key. */
  tokenKey?: string;
  /** What the service's next pass does for it ("renew/in-window", "wait/before-renewal", ...). */
  next: string;
  /** When that happens (ISO 8601); null when nothing is scheduled on its own. */
  nextAt: string | null;
  /** Why a human is needed (NEEDS_ATTENTION), or a warning of the planner. */
  message: string | null;
  /** Only on policy-driven certificates: how the policy manages it (superseded, kept until expiry, …). */
  autoenroll?: { template: string; disposition: AutoenrollEntry['disposition']; reason: AutoenrollEntry['reason']; message: string; supersededBy?: string; successorId?: string; supersedes?: string[] };
  /** Findings that do not stop the certificate from working (e.g. CLOCK_SKEW). */
  warnings?: { code: string; message: string }[];
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
    let outputs: 'missing' | 'paths' | 'generation' | null = null;
    if (current && config.output) {
      const marker = await certificate.readOutputsMarker().catch(() => null);
      outputs = (await outputsDrift(config.output, marker)) ?? (marker && marker.generation !== current.generation.number ? 'generation' : null);
    }
    return { ok: true, snapshot: { config, state, current, pending }, ...(outputs ? { outputs } : {}) };
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
  const [files, policyAttempts] = await Promise.all([readPolicyCache(config.stateDir, logger), readPolicyAttempts(config.stateDir, logger)]);
  const views = applicablePolicies(files, config.policyServers);
  const derivation = await deriveFromStore(config, store, views, Date.now());
  const all = [...config.certificates, ...derivation.managed, ...derivation.reported];
  if (ids && ids.length > 0) {
    const unknown = ids.filter((id) => !all.some((c) => c.id === id));
    if (unknown.length > 0) {
      throw new UsageError(`no certificate with id "${unknown[0] ?? ''}" in ${config.file} (known: ${all.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
    }
  }
  const chosen = ids && ids.length > 0 ? all.filter((c) => ids.includes(c.id)) : all;
  const reads = await Promise.all(chosen.map((c) => readSnapshot(store, c)));
  return { config, reads, views, policyAttempts, hostId, autoenroll: derivation.entries };
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
    const planned: CertificateStatus = action?.status ?? 'NEW';
    // Never VALID while the files the consumers read are missing or of another generation.
    const status: CertificateStatus = planned === 'VALID' && read.outputs ? 'NEEDS_ATTENTION' : planned;
    const stored = state?.lastError ?? null;
    const entry = inputs.autoenroll.find((e) => e.id === config.id);
    // Kept but no longer managed: its state is its certificate's, its next step none of its own.
    const kept = entry !== undefined && !entry.managed;
    const keptState: CertificateStatus = !description ? 'NEW' : description.notAfter.getTime() > nowMs ? 'VALID' : 'EXPIRED';
    return {
      ...(entry ? { autoenroll: autoenrollView(entry) } : {}),
      id: config.id,
      state: kept ? keptState : status,
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
      ...(current && isPkcs11Uri(current.generation.keyPem) ? { tokenKey: current.generation.keyPem } : {}),
      possibleOrphans: state?.possibleOrphans ?? [],
      next: kept ? `keep/${entry.reason}` : summary.next,
      nextAt: kept ? iso(description?.notAfter.getTime()) : iso(summary.nextAt),
      message: kept ? entry.message : status !== planned ? OUTPUTS_MESSAGE[read.outputs ?? 'missing'] : summary.message,
      ...(description && description.notBefore.getTime() > nowMs ? { warnings: [clockSkewWarning(description.notBefore.getTime(), nowMs)] } : {}),
    };
  });
  return { rows, plan: result, input };
}

function autoenrollView(entry: AutoenrollEntry): NonNullable<StatusRow['autoenroll']> {
  return {
    template: entry.template,
    disposition: entry.disposition,
    reason: entry.reason,
    message: entry.message,
    ...(entry.supersededBy !== undefined ? { supersededBy: entry.supersededBy } : {}),
    ...(entry.successorId !== undefined ? { successorId: entry.successorId } : {}),
    ...(entry.supersedes !== undefined ? { supersedes: entry.supersedes } : {}),
  };
}
const OUTPUTS_MESSAGE: Record<'missing' | 'paths' | 'generation', string> = {
  missing: 'an output file is missing: the next pass reinstalls it from the current generation',
  paths: 'the output files are not where the configuration says: the next pass installs them there',
  generation: 'the output files do not hold the current generation: the next pass reinstalls them',
};

/** The installed certificate's notBefore is ahead of this machine's clock (accepted within clockSkewTolerance). */
export function clockSkewWarning(notBeforeMs: number, nowMs: number): { code: string; message: string } {
  return {
    code: 'CLOCK_SKEW',
    message:
      `the certificate becomes valid at ${new Date(notBeforeMs).toISOString().slice(0, 19)}Z, ${Math.ceil((notBeforeMs - nowMs) / 1000)} s ahead of this machine's clock ` +
      "(it is not presented as a TLS client certificate before then). Fix: synchronise this machine's clock (NTP: chrony, systemd-timesyncd, w32time)",
  };
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
    possibleOrphans: [],
    generation: null,
    next: 'none',
    nextAt: null,
    message: null,
  };
}
