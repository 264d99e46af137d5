// `autoenroll credentials set NAME`: stores a password in the OS keyring (service "autoenroll",
// account NAME) for `password: { keyring: NAME }`. The password is typed at a prompt without
// echo on a TTY (twice, to catch typos), or read as one line from stdin; never from argv.
import { ExitCode, UsageError } from '../../errors.js';
import { KEYRING_SERVICE, writeKeyring } from '../../secrets/keyring.js';
import type { CommandContext } from '../context.js';
import { promptHidden, readLine } from '../passwordPrompt.js';
import { registerSecret } from '../../secrets/redactor.js';

const NAME = /^[A-Za-z0-9._@-]{1,128}$/;
const CANCELLED = 'cancelled; nothing was stored';

export async function run(options: { args?: string[] }, context: CommandContext): Promise<number> {
  const name = options.args?.[0];
  if (!name || !NAME.test(name)) {
    throw new UsageError('credentials set expects a NAME of letters, digits and . _ @ - (the name used in password: { keyring: NAME })');
  }
  let password: string;
  if (context.stdin.isTTY) {
    password = await promptHidden(context, `Password for ${name}: `, CANCELLED);
    const again = await promptHidden(context, 'Repeat it: ', CANCELLED);
    if (again !== password) throw new UsageError('the two passwords differ; nothing was stored', 'PASSWORD_MISMATCH');
  } else {
    password = await readLine(context.stdin);
  }
  if (password === '') throw new UsageError('the password is empty; nothing was stored', 'PASSWORD_EMPTY');
  registerSecret(password);

  await writeKeyring(name, password, context.env);
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ stored: true, service: KEYRING_SERVICE, account: name })}\n`);
  } else if (!context.globals.quiet) {
    context.stderr.write(`autoenroll: stored the password for "${name}" in the OS keyring (service "${KEYRING_SERVICE}"); reference it with password: { keyring: ${name} }\n`);
  }
  return ExitCode.OK;
}
