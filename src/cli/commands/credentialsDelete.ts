// `autoenroll credentials delete NAME`: removes the password stored in the OS keyring under
// service "autoenroll", account NAME. A name with nothing stored is a usage error (exit 4), so a
// typo does not pass for a deletion.
import { ExitCode, UsageError } from '../../errors.js';
import { deleteKeyring, KEYRING_SERVICE } from '../../secrets/keyring.js';
import type { CommandContext } from '../context.js';

export async function run(options: { args?: string[] }, context: CommandContext): Promise<number> {
  const name = options.args?.[0] ?? '';
  if (name === '') throw new UsageError('credentials delete expects the NAME given to credentials set');
  const deleted = await deleteKeyring(name, context.env);
  if (!deleted) {
    throw new UsageError(`nothing is stored in the OS keyring under service "${KEYRING_SERVICE}", account "${name}" (autoenroll credentials list shows what is)`, 'SECRET_KEYRING_MISSING');
  }
  if (context.globals.json) context.stdout.write(`${JSON.stringify({ deleted: true, service: KEYRING_SERVICE, account: name })}\n`);
  else if (!context.globals.quiet) context.stderr.write(`autoenroll: deleted the password for "${name}" from the OS keyring\n`);
  return ExitCode.OK;
}
