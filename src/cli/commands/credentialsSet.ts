// `autoenroll credentials set NAME`: stores a password in the OS keyring (service "autoenroll",
// account NAME) for `password: { keyring: NAME }`. The password is typed at a prompt without
// echo on a TTY (twice, to catch typos), or read as one line from stdin; never from argv.
import { ExitCode, UsageError } from '../../errors.js';
import { KEYRING_SERVICE, writeKeyring } from '../../secrets/keyring.js';
import type { CommandContext } from '../context.js';

const NAME = /^[A-Za-z0-9._@-]{1,128}$/;
const MAX_PASSWORD_CHARS = 4096;

export async function run(options: { args?: string[] }, context: CommandContext): Promise<number> {
  const name = options.args?.[0];
  if (!name || !NAME.test(name)) {
    throw new UsageError('credentials set expects a NAME of letters, digits and . _ @ - (the name used in password: { keyring: NAME })');
  }
  let password: string;
  if (context.stdin.isTTY) {
    password = await promptHidden(context, `Password for ${name}: `);
    const again = await promptHidden(context, 'Repeat it: ');
    if (again !== password) throw new UsageError('the two passwords differ; nothing was stored', 'PASSWORD_MISMATCH');
  } else {
    password = await readLine(context.stdin);
  }
  if (password === '') throw new UsageError('the password is empty; nothing was stored', 'PASSWORD_EMPTY');

  await writeKeyring(name, password, context.env);
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ stored: true, service: KEYRING_SERVICE, account: name })}\n`);
  } else if (!context.globals.quiet) {
    context.stderr.write(`autoenroll: stored the password for "${name}" in the OS keyring (service "${KEYRING_SERVICE}"); reference it with password: { keyring: ${name} }\n`);
  }
  return ExitCode.OK;
}

/** The first line of the stream (without its line ending); the rest is not read. */
export async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n') || text.length > MAX_PASSWORD_CHARS) break;
  }
  const line = text.split('\n')[0] as string;
  if (line.length > MAX_PASSWORD_CHARS) throw new UsageError(`the password is longer than ${MAX_PASSWORD_CHARS} characters`, 'PASSWORD_TOO_LONG');
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Reads a line from a TTY in raw mode so the characters are not echoed. */
function promptHidden(context: CommandContext, prompt: string): Promise<string> {
  const input = context.stdin as NodeJS.ReadStream;
  context.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode?.(true);
    input.resume();
    const done = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(wasRaw ?? false);
      input.pause();
      context.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('cancelled; nothing was stored', 'CANCELLED'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_PASSWORD_CHARS) value += ch;
      }
    };
    input.on('data', onData);
  });
}
