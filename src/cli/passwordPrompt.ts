// How a password reaches a command without argv: one line from stdin, or typed at a TTY prompt
// without echo. Shared by `credentials set` and `request`.
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';

export const MAX_PASSWORD_CHARS = 4096;

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

/**
 * Reads a line from a TTY in raw mode so the characters are not echoed. Ctrl-C or Ctrl-D rejects
 * with a CANCELLED UsageError carrying `cancelMessage` (the caller says what was left undone).
 */
export function promptHidden(context: Pick<CommandContext, 'stdin' | 'stderr'>, prompt: string, cancelMessage = 'cancelled'): Promise<string> {
  const input = context.stdin as NodeJS.ReadStream;
  context.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode?.(true);
    input.resume();
    const done = (error?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(wasRaw ?? false);
      input.pause();
      context.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError(cancelMessage, 'CANCELLED'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_PASSWORD_CHARS) value += ch;
      }
    };
    input.on('data', onData);
  });
}
