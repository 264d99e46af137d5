// `autoenroll lab`: the CEP/CES emulator in the foreground until SIGINT/SIGTERM.
import path from 'node:path';
import { ExitCode } from '../../errors.js';
import { labDir } from '../../lab/labDir.js';
import type { CommandContext } from '../context.js';

interface LabCommandOptions {
  dir?: string;
  port?: number;
  kerberosKeytab?: string;
  requireChannelBinding?: boolean;
}

export async function run(options: LabCommandOptions, context: CommandContext): Promise<number> {
  const { startLab } = await import('../../lab/lab.js');
  const dir = labDir(options.dir, context.cwd);
  const quiet = context.globals.quiet;
  const lab = await startLab({
    dir,
    port: options.port ?? 49999,
    ...(options.kerberosKeytab !== undefined
      ? { kerberos: { keytab: path.resolve(context.cwd, options.kerberosKeytab), ...(options.requireChannelBinding ? { requireChannelBinding: true } : {}) } }
      : {}),
    log: (entry) => {
      if (quiet) return;
      const extra = [entry.requestId ? `request ${entry.requestId}` : '', entry.hresult ?? '', entry.template ?? ''].filter(Boolean).join(' ');
      context.stderr.write(`${entry.time} ${entry.endpoint} ${entry.operation} ${entry.auth} → ${entry.outcome}${extra ? ` (${extra})` : ''}\n`);
    },
  });
  try {
    const summary = {
      dir: lab.dir,
      policyId: lab.policyId,
      endpoints: lab.endpoints,
      trust: { caFile: lab.trustBundlePath },
      users: lab.users,
      templates: lab.templates.map((t) => ({ name: t.name, oid: t.oid, validitySeconds: t.validitySeconds, renewalSeconds: t.renewalSeconds })),
      requestLog: `${lab.dir}/requests.log`,
    };
    if (context.globals.json) {
      context.stdout.write(`${JSON.stringify(summary)}\n`);
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
        ...summary.templates.map((t) => `  ${t.name}  validity ${t.validitySeconds}s, renewal period ${t.renewalSeconds}s`),
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
    await lab.close();
  }
  return ExitCode.OK;
}
