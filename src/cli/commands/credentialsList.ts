// `autoenroll credentials list`: the accounts stored in the OS keyring under service "autoenroll"
// (never the passwords), and — when the configuration can be read — which `password: { keyring:
// NAME }` references use each one and which referenced names have nothing stored.
import { ExitCode } from '../../errors.js';
import type { Config, SecretRef } from '../../config/types.js';
import { KEYRING_SERVICE, listKeyring } from '../../secrets/keyring.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

export interface KeyringName {
  name: string;
  stored: boolean;
  /** Where the configuration references it: "policyServers[0].password", "certificates[web].output.pfx.password". */
  usedBy: string[];
}

/** The configuration's keyring references, by name. */
export function keyringReferences(config: Config): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  const add = (ref: SecretRef | undefined, where: string): void => {
    if (ref && 'keyring' in ref) refs.set(ref.keyring, [...(refs.get(ref.keyring) ?? []), where]);
  };
  for (const server of config.policyServers) add(server.password, `policyServers[${server.index}].password`);
  for (const cert of config.certificates) add(cert.output?.pfx?.password, `certificates[${cert.id}].output.pfx.password`);
  return refs;
}

export async function run(_options: unknown, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const stored = await listKeyring(context.env);
  const { references, configNote } = await readReferences(context);
  const names = [...new Set([...stored, ...references.keys()])].sort();
  const rows: KeyringName[] = names.map((name) => ({ name, stored: stored.includes(name), usedBy: references.get(name) ?? [] }));
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ service: KEYRING_SERVICE, credentials: rows, ...(configNote ? { note: configNote } : {}) }, null, 2)}\n`);
    return ExitCode.OK;
  }
  if (rows.length === 0) context.stdout.write(`no passwords are stored in the OS keyring under service "${KEYRING_SERVICE}"\n`);
  for (const row of rows) {
    const state = row.stored ? 'stored' : 'MISSING (referenced but not stored: autoenroll credentials set NAME)'.replace('NAME', row.name);
    const use = row.usedBy.length > 0 ? `  used by ${row.usedBy.join(', ')}` : '';
    context.stdout.write(`${row.name}  ${state}${use}\n`);
  }
  if (configNote && !context.globals.quiet) context.stderr.write(`autoenroll: ${configNote}\n`);
  return ExitCode.OK;
}

async function readReferences(context: CommandContext): Promise<{ references: Map<string, string[]>; configNote: string | null }> {
  const { resolveConfigPath, loadConfig } = await import('../../config/index.js');
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  try {
    return { references: keyringReferences(await loadConfig(file, { env: context.env })), configNote: null };
  } catch (error) {
    return { references: new Map(), configNote: `the configuration ${file} could not be read (${(error as Error).message}); which names it uses is not shown` };
  }
}
