// `autoenroll status [--id ID] [--check]`: one row per configured certificate from the stored state
// and the cached policy, planned exactly as the service plans it. No network. A readable table by
// default; `--json` prints the array of cli.md. Exit 0 whatever the states are: status reports,
// it does not judge — unless `--check` is given: then the exit code is that of the worst state
// (engine/statusCheck.ts), for monitoring, with one line on stderr naming what is not VALID.
import { requestedLogFormat, wantsColor } from '../../log/logColor.js';
import { didYouMean } from '../../engine/nearestNames.js';
import { resolveConfigPath } from '../../config/configPath.js';
import { loadConfig } from '../../config/loadConfig.js';
import { ExitCode, UsageError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { openStore } from '../../store/store.js';
import { hostIdentity } from '../../engine/hostIdentity.js';
import { checkStatus } from '../../engine/statusCheck.js';
import { evaluateStatus, readStatusInputs } from '../../engine/statusView.js';
import type { StatusRow } from '../../engine/statusView.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';
import { renderTable } from '../format/table.js';
import { formatInstant, formatRelative } from '../format/time.js';

export interface StatusOptions {
  id?: string;
  check?: boolean;
}

export async function run(options: StatusOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  const config = await loadConfig(file, { env: context.env });
  const ids = options.id !== undefined ? [options.id] : undefined;
  if (options.id !== undefined && config.autoenroll?.enabled !== true && !config.certificates.some((c) => c.id === options.id)) {
    throw new UsageError(`no certificate with id "${options.id}" in ${config.file}${didYouMean(options.id, config.certificates.map((c) => c.id))} (known: ${config.certificates.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
  }
  const logger = createLogger({ sink: context.stderr, level: context.globals.quiet ? 'error' : context.globals.verbose ? 'debug' : 'warn', format: requestedLogFormat(context.env), color: wantsColor(context.stderr, context.env) });
  const inputs = await readStatusInputs(config, openStore(config.stateDir), hostIdentity(), logger, ids);
  const nowMs = Date.now();
  const { rows } = evaluateStatus(inputs, nowMs);
  if (!(options.check && context.globals.quiet && !context.globals.json)) {
    context.stdout.write(context.globals.json ? `${JSON.stringify(rows, null, 2)}\n` : renderStatus(rows, nowMs));
  }
  if (!options.check) return ExitCode.OK;
  const check = checkStatus(rows);
  if (check.exitCode !== ExitCode.OK) {
    context.stderr.write(`autoenroll: check failed (exit ${check.exitCode}): ${check.failing.map((r) => `${r.id} ${r.state}`).join(', ')}\n`);
  }
  return check.exitCode;
}

/** The readable form: a table, then one line per certificate that has an error or needs a human. */
export function renderStatus(rows: readonly StatusRow[], nowMs: number): string {
  if (rows.length === 0) return 'no certificates are configured\n';
  const when = (iso: string | null): string => (iso === null ? '-' : `${formatInstant(Date.parse(iso))} (${formatRelative(Date.parse(iso), nowMs)})`);
  const table = renderTable(
    ['ID', 'STATE', 'TEMPLATE', 'SUBJECT', 'NOT AFTER', 'RENEW AT', 'GEN', 'THUMBPRINT / REQUEST'],
    rows.map((r) => [
      r.id,
      r.state,
      r.template,
      r.subject ?? '-',
      when(r.notAfter),
      when(r.renewAt),
      r.generation === null ? '-' : String(r.generation),
      r.pendingRequestId !== null ? `pending RequestID ${r.pendingRequestId}` : (r.thumbprint ?? '-'),
    ]),
  );
  const notes: string[] = [];
  for (const r of rows) {
    if (r.lastError) {
      const hresult = r.lastError.hresult !== undefined ? ` (HRESULT 0x${(r.lastError.hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')})` : '';
      notes.push(`${r.id}: last error [${r.lastError.code}]${hresult}: ${r.lastError.message}`);
    }
    if (r.autoenroll && r.next.startsWith('keep/')) notes.push(`${r.id}: ${r.autoenroll.disposition}: ${r.autoenroll.message}`);
    else if (r.message && (r.state === 'NEEDS_ATTENTION' || r.state === 'EXPIRED')) notes.push(`${r.id}: ${r.message}`);
    for (const orphan of r.possibleOrphans ?? []) {
      notes.push(`${r.id}: possible orphan request: the submission to ${orphan.endpoint} timed out at ${orphan.at} and may still be issued (request SHA-256 ${orphan.requestDigest}); check the CA`);
    }
    for (const warning of r.warnings ?? []) notes.push(`${r.id}: warning [${warning.code}]: ${warning.message}`);
  }
  return notes.length > 0 ? `${table}\n${notes.join('\n')}\n` : table;
}
