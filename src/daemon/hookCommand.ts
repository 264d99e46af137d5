// Splits a hook command line into argv without a shell, so a hook never goes through /bin/sh or
// cmd.exe unless the certificate's `hooks.shell` says so. Rules (README, "Hooks"):
//   - unquoted whitespace separates arguments;
//   - '…' keeps everything literally (no escapes inside);
//   - "…" keeps whitespace; inside it a backslash escapes only `"` and `\`;
//   - outside quotes a backslash escapes only whitespace, a quote or a backslash; before any other
//     character it is literal, so Windows paths such as C:\tools\reload.exe need no doubling;
//   - nothing else is special: no variables, globs, pipes, redirections or `;`.
import { ConfigError } from '../errors.js';

export function splitCommand(command: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    const next = command[i + 1];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (next === '"' || next === '\\')) {
        current += next;
        i++;
      } else current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inArg = true;
    } else if (ch === '\\' && next !== undefined && /[\s"'\\]/.test(next)) {
      current += next;
      inArg = true;
      i++;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (quote !== null) throw new ConfigError(`hook command has an unterminated ${quote} quote: ${command}`, {}, 'HOOK_COMMAND_INVALID');
  if (inArg) args.push(current);
  if (args.length === 0) throw new ConfigError('hook command is empty', {}, 'HOOK_COMMAND_INVALID');
  return args;
}
