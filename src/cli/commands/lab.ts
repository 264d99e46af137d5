// `autoenroll lab`: the CEP/CES emulator in the foreground until SIGINT/SIGTERM. It prints its
// endpoints, trust bundle, users, templates (durations in words) and a configuration for itself
// that works as printed; while it runs, lab/labGuide.ts's pointer file tells `lab approve` its folder.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { NAMED_FAULTS, parseFault } from '../../lab/faultInjection.js';
import type { LabFault } from '../../lab/faultInjection.js';
import { labDir } from '../../lab/labDir.js';
import type { CommandContext } from '../context.js';

/** The template of the printed configuration: short-lived, issued at once, renewed by key. */
const SNIPPET_TEMPLATE = 'LabKBRShort';

interface LabCommandOptions {
  dir?: string;
  port?: number;
  kerberosKeytab?: string;
  requireChannelBinding?: boolean;
  templates?: string;
  fault?: string[];
}

/** `--fault KIND` (every endpoint) or `--fault ENDPOINT=KIND`. */
function parseFaultOption(text: string, endpoints: readonly { name: string }[]): { endpoints: string[]; fault: LabFault } {
  const at = text.lastIndexOf('=');
  const kind = at >= 0 ? text.slice(at + 1) : text;
  const fault = parseFault(kind);
  if (!fault) throw new UsageError(`--fault ${text}: unknown fault "${kind}" (known: ${NAMED_FAULTS.join(', ')}, slow:MS)`, 'LAB_BAD_OPTIONS');
  return { endpoints: at >= 0 ? [text.slice(0, at)] : endpoints.map((e) => e.name), fault };
}

export async function run(options: LabCommandOptions, context: CommandContext): Promise<number> {
  const { startLab } = await import('../../lab/lab.js');
  const guide = await import('../../lab/labGuide.js');
  const dir = labDir(options.dir, context.cwd);
  const templates = options.templates !== undefined ? await (await import('../../lab/templateFile.js')).readLabTemplates(path.resolve(context.cwd, options.templates)) : undefined;
  const quiet = context.globals.quiet;
  const lab = await startLab({
    dir,
    port: options.port ?? 49999,
    ...(options.kerberosKeytab !== undefined
      ? { kerberos: { keytab: path.resolve(context.cwd, options.kerberosKeytab), ...(options.requireChannelBinding ? { requireChannelBinding: true } : {}) } }
      : {}),
    ...(templates ? { templates } : {}),
    log: (entry) => {
      if (quiet) return;
      const extra = [entry.requestId ? `request ${entry.requestId}` : '', entry.hresult ?? '', entry.template ?? ''].filter(Boolean).join(' ');
      context.stderr.write(`${entry.time} ${entry.endpoint} ${entry.operation} ${entry.auth} → ${entry.outcome}${extra ? ` (${extra})` : ''}\n`);
    },
  });
  try {
    for (const option of options.fault ?? []) {
      const { endpoints, fault } = parseFaultOption(option, lab.endpoints);
      for (const name of endpoints) await lab.setFault(name, fault);
    }
    const summary = {
      dir: lab.dir,
      policyId: lab.policyId,
      endpoints: lab.endpoints,
      trust: { caFile: lab.trustBundlePath },
      users: lab.users,
      templates: lab.templates.map((t) => ({ name: t.name, oid: t.oid, validitySeconds: t.validitySeconds, renewalSeconds: t.renewalSeconds, autoEnroll: t.autoEnroll !== false, supersedes: t.supersedes ?? [] })),
      requestLog: `${lab.dir}/requests.log`,
      config: guide.labConfig(lab, SNIPPET_TEMPLATE),
    };
    const configYaml = guide.labConfigYaml(summary.config);
    try {
      writeFileSync(guide.RUNNING_LAB_FILE, JSON.stringify({ dir: lab.dir, pid: process.pid }), { mode: 0o644 });
    } catch {
      // Another user's lab holds the pointer: `lab approve` then needs --dir.
    }
    if (context.globals.json) {
      context.stdout.write(`${JSON.stringify({ ...summary, configYaml })}\n`);
    } else {
      const lines = [
        `autoenroll lab is serving (state in ${lab.dir})`,
        `policy ID ${lab.policyId}`,
        '',
        'endpoints:',
        ...lab.endpoints.map((e) => `  ${e.kind.toUpperCase()} ${e.auth.padEnd(11)} priority ${String(e.priority).padEnd(3)}${e.renewalOnly ? ' renewal-only' : '             '} ${e.url}`),
        '',
        `trust.caFile: ${lab.trustBundlePath}`,
        'users (WS-Security UsernameToken):',
        ...lab.users.map((u) => `  ${u.username}  password: ${u.password}`),
        'templates:',
        ...summary.templates.map((t) => `  ${t.name}  validity ${guide.humanDuration(t.validitySeconds)}, renewal period ${guide.humanDuration(t.renewalSeconds)}${t.autoEnroll ? ', autoEnroll' : ''}${t.supersedes.length > 0 ? `, supersedes ${t.supersedes.join(', ')}` : ''}`),
        '',
        `a configuration for this lab (save as config.yaml; ${SNIPPET_TEMPLATE} renews within minutes under \`autoenroll run\`):`,
        ...configYaml.trimEnd().split('\n').map((line) => `  ${line}`),
        `then: AUTOENROLL_PASSWORD='${lab.users[0]?.password ?? ''}' autoenroll --config config.yaml enroll`,
        '',
        `pending requests: autoenroll lab approve ID --dir ${lab.dir}  (or lab deny ID)`,
        'stop with Ctrl-C',
        '',
      ];
      context.stdout.write(lines.join('\n'));
    }
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    if (guide.runningLabDir() === lab.dir) rmSync(guide.RUNNING_LAB_FILE, { force: true });
    await lab.close();
  }
  return ExitCode.OK;
}
