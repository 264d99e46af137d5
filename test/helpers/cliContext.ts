import { PassThrough } from 'node:stream';
import type { CommandContext } from '../../src/cli/context.js';

/** A command context whose stdout/stderr are captured in memory, for in-process CLI tests. */
export function captureContext(options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}) {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  if (options.stdin !== undefined) stdin.end(options.stdin);
  else stdin.end();
  const context: Omit<CommandContext, 'globals'> & { out(): string; err(): string } = {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    stdin,
    env: options.env ?? { ...process.env },
    cwd: options.cwd ?? process.cwd(),
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
  return context;
}
