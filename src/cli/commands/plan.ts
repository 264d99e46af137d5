// `autoenroll plan [--at TIME] [--id ID]`: what the service's next pass would do for each
// certificate, and when — at TIME if given (ISO 8601, or +DURATION such as +30d / +2h from now) —
// without doing it and without network: the stored state and the cached policy go through the
// planner the service uses. This is how a renewal window is tested without moving the clock.
import { requestedLogFormat, wantsColor } from '../../log/logColor.js';
import { didYouMean } from '../../engine/nearestNames.js';
import { resolveConfigPath } from '../../config/configPath.js';
import { parseDuration } from '../../config/duration.js';
import { loadConfig } from '../../config/loadConfig.js';
import { ExitCode, UsageError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { openStore } from '../../store/store.js';
import { hostIdentity } from '../../engine/hostIdentity.js';
import { evaluateStatus, readStatusInputs } from '../../engine/statusView.js';
import { skippedUrisOfTemplate } from '../../engine/policyLookup.js';
import type { SkippedEnrollmentUri } from '../../transport/enrollmentEndpoints.js';
import type { StatusRow } from '../../engine/statusView.js';
import type { CertificateAction, PlannedStep, PlanResult } from '../../engine/plannerTypes.js';
import type { CommandContext } from '../context.js';
import { reportOf } from '../../engine/autoenrollStep.js';
import type { AutoenrollReport } from '../../engine/autoenrollStep.js';
import { guardStdout } from '../stdoutGuard.js';
import { renderTable } from '../format/table.js';
import { formatInstant, formatRelative } from '../format/time.js';

export interface PlanCommandOptions {
  at?: string;
  id?: string;
}

/** One certificate in `plan --json`. */
export interface PlannedCertificate {
  id: string;
  /** Display state at the planned instant. */
  state: string;
  /** enroll | retrieve | renew | re-enroll | wait | needs-attention */
  action: string;
  reason: string;
  /** When the action happens: the planned instant when due then, else the instant it becomes due. */
  when: string | null;
  /** One readable sentence. */
  description: string;
  requestId?: string;
  reuseKey?: boolean;
  targetTemplate?: string;
  /** Enrollment URIs of the template that are not used, each with the reason (e.g. Kerberos). */
  skippedEndpoints?: SkippedEnrollmentUri[];
  renewAt: string | null;
  windowStart: string | null;
  notAfter: string | null;
  retryAt: string | null;
  nextPollAt: string | null;
  warnings: string[];
  /** Only on policy-driven certificates (see status). */
  autoenroll?: StatusRow['autoenroll'];
}

export interface PlanDocument {
  /** The instant planned for (ISO 8601). */
  at: string;
  /** True when --at moved the clock. */
  simulated: boolean;
  policyRefreshAt: string;
  nextWakeAt: string;
  certificates: PlannedCertificate[];
  /** With an autoenroll section: what the policy-driven mode adds, keeps, moves (superseded) or stops, per template. */
  autoenroll?: { enabled: boolean; entries: AutoenrollReport[] };
}

/** TIME of --at: an ISO 8601 date(-time), or +DURATION / -DURATION relative to `nowMs`. */
export function parseAt(text: string, nowMs: number): number {
  const trimmed = text.trim();
  const relative = /^([+-])(.+)$/.exec(trimmed);
  if (relative) {
    const ms = parseDuration(relative[2] as string);
    if (ms === undefined) throw new UsageError(`--at: "${text}" is not a duration (use e.g. +30d, +2h, +1h30m, -1d)`, 'BAD_TIME');
    return relative[1] === '+' ? nowMs + ms : nowMs - ms;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`--at: "${text}" is neither an ISO 8601 time (2026-05-01T12:00:00Z) nor a relative duration (+30d)`, 'BAD_TIME');
}

export async function run(options: PlanCommandOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const nowMs = Date.now();
  const atMs = options.at !== undefined ? parseAt(options.at, nowMs) : nowMs;
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  const config = await loadConfig(file, { env: context.env });
  if (options.id !== undefined && config.autoenroll?.enabled !== true && !config.certificates.some((c) => c.id === options.id)) {
    throw new UsageError(`no certificate with id "${options.id}" in ${config.file}${didYouMean(options.id, config.certificates.map((c) => c.id))} (known: ${config.certificates.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
  }
  const logger = createLogger({ sink: context.stderr, level: context.globals.quiet ? 'error' : context.globals.verbose ? 'debug' : 'warn', format: requestedLogFormat(context.env), color: wantsColor(context.stderr, context.env) });
  const inputs = await readStatusInputs(config, openStore(config.stateDir), hostIdentity(), logger, options.id !== undefined ? [options.id] : undefined);
  const evaluation = evaluateStatus(inputs, atMs);
  const document = planDocument(evaluation.rows, evaluation.plan, atMs, options.at !== undefined);
  if (config.autoenroll || inputs.autoenroll.length > 0) document.autoenroll = { enabled: config.autoenroll?.enabled ?? false, entries: reportOf(inputs.autoenroll) };
  for (const planned of document.certificates) {
    const configured = config.certificates.find((c) => c.id === planned.id);
    const skipped = configured ? skippedUrisOfTemplate(inputs.views, planned.targetTemplate ?? configured.template, config.policyServers.some((server) => server.auth === 'kerberos')) : [];
    if (skipped.length > 0) planned.skippedEndpoints = skipped;
  }
  context.stdout.write(context.globals.json ? `${JSON.stringify(document, null, 2)}\n` : renderPlan(document, atMs));
  return ExitCode.OK;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export function planDocument(rows: readonly StatusRow[], result: PlanResult, atMs: number, simulated: boolean): PlanDocument {
  const actions = new Map(result.actions.map((a) => [a.certificateId, a]));
  return {
    at: new Date(atMs).toISOString(),
    simulated,
    policyRefreshAt: new Date(result.policyRefreshAtMs).toISOString(),
    nextWakeAt: new Date(result.nextWakeAtMs).toISOString(),
    certificates: rows.map((row) => {
      const action = actions.get(row.id);
      const planned = action ? plannedCertificate(action, atMs) : unreadable(row);
      if (!row.autoenroll) return planned;
      planned.autoenroll = row.autoenroll;
      // Kept but no longer managed (superseded, archived, stopped): nothing happens to it.
      if (row.next.startsWith('keep/')) {
        Object.assign(planned, { state: row.state, action: 'keep', reason: row.autoenroll.reason, when: row.nextAt, description: `kept, not renewed: ${row.autoenroll.message}`, renewAt: null, warnings: [] });
      }
      return planned;
    }),
  };
}

function plannedCertificate(action: CertificateAction, atMs: number): PlannedCertificate {
  const step: PlannedStep = action.kind === 'skip' ? action.blocked : action;
  const out: PlannedCertificate = {
    id: action.certificateId,
    state: action.status,
    action: step.kind,
    reason: step.reason,
    when: iso(step.kind === 'wait' ? step.untilMs : step.kind === 'needs-attention' ? action.nextEventMs : atMs),
    description: describeStep(step, atMs),
    renewAt: iso(action.renewAtMs),
    windowStart: iso(action.timing.windowStartMs),
    notAfter: iso(action.timing.notAfterMs),
    retryAt: iso(action.timing.retryAtMs),
    nextPollAt: iso(action.timing.nextPollAtMs),
    warnings: action.warnings,
  };
  if (step.kind === 'retrieve') out.requestId = step.requestId;
  if (step.kind === 'renew') out.reuseKey = step.reuseKey;
  if (step.kind === 'enroll' || step.kind === 're-enroll') out.targetTemplate = step.targetTemplate;
  return out;
}

function unreadable(row: StatusRow): PlannedCertificate {
  return {
    id: row.id,
    state: row.state,
    action: 'needs-attention',
    reason: 'state-unreadable',
    when: null,
    description: row.message ?? 'the stored state cannot be read',
    renewAt: null,
    windowStart: null,
    notAfter: null,
    retryAt: null,
    nextPollAt: null,
    warnings: [],
  };
}

const WAIT_REASONS: Record<string, string> = {
  'before-renewal': 'the renewal window is not open yet',
  'backing-off': 'backing off after a failed attempt',
  'pending-not-due': 'the pending request is not due for its next poll',
  'skip-auto-renewal': 'the template asks for no automatic renewal',
};

const REENROLL_REASONS: Record<string, string> = {
  expired: 'the certificate has expired',
  superseded: 'the template is superseded',
  'template-updated': 'the template has a newer major revision',
  'template-changed': 'the configured template differs from the certificate',
  'renewal-impossible': 'key-based renewal is not possible',
};

export function describeStep(step: PlannedStep, atMs: number): string {
  switch (step.kind) {
    case 'enroll':
      return `enroll with template ${step.targetTemplate} (username/password)`;
    case 'retrieve':
      return `poll the CA for pending request ${step.requestId}`;
    case 'renew':
      return `renew key-based (${step.reason === 'forced' ? 'forced' : 'inside the renewal window'}) with ${step.reuseKey ? 'the same key' : 'a new key'}`;
    case 're-enroll':
      return `re-enroll with credentials to template ${step.targetTemplate}: ${REENROLL_REASONS[step.reason] ?? step.reason}`;
    case 'wait':
      return `nothing until ${formatInstant(step.untilMs)} (${formatRelative(step.untilMs, atMs)}): ${WAIT_REASONS[step.reason] ?? step.reason}`;
    case 'needs-attention':
      return `needs attention: ${step.message}`;
    case 'skip':
      return describeStep(step.blocked, atMs);
  }
}

export function renderPlan(document: PlanDocument, atMs: number): string {
  const auto = (document.autoenroll?.entries ?? []).map((e) => `autoenroll ${e.template}: ${e.disposition} as ${e.id} — ${e.message}\n`).join('');
  const header = `${document.simulated ? 'Plan at' : 'Plan now,'} ${formatInstant(atMs)}; policy refresh ${formatInstant(Date.parse(document.policyRefreshAt))} (${formatRelative(Date.parse(document.policyRefreshAt), atMs)})\n${auto}`;
  if (document.certificates.length === 0) return `${header}no certificates are configured\n`;
  const table = renderTable(
    ['ID', 'STATE', 'ACTION', 'WHEN', 'RENEW AT', 'NOT AFTER'],
    document.certificates.map((c) => [
      c.id,
      c.state,
      `${c.action}/${c.reason}`,
      c.when === null ? '-' : `${formatInstant(Date.parse(c.when))} (${formatRelative(Date.parse(c.when), atMs)})`,
      c.renewAt === null ? '-' : formatInstant(Date.parse(c.renewAt)),
      c.notAfter === null ? '-' : formatInstant(Date.parse(c.notAfter)),
    ]),
  );
  const lines = document.certificates.flatMap((c) => [
    `${c.id}: ${c.description}${c.warnings.length > 0 ? ` (${c.warnings.join('; ')})` : ''}`,
    ...(c.skippedEndpoints ?? []).map((s) => `${c.id}: enrollment service ${s.uri} ${s.reason}`),
  ]);
  return `${header}${table}\n${lines.join('\n')}\n`;
}
