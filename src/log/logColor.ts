// Whether a stream takes ANSI colours and which log format the user asked for: colours only on a
// terminal, never with NO_COLOR set to anything non-empty (no-color.org) or TERM=dumb (or
// --no-color, which the CLI turns into NO_COLOR); AUTOENROLL_LOG_FORMAT=json|text overrides the
// format chosen from the terminal (JSON lines on a pipe, text on a terminal).

export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

export function requestedLogFormat(env: NodeJS.ProcessEnv): 'json' | 'text' | 'auto' {
  const value = env.AUTOENROLL_LOG_FORMAT?.trim().toLowerCase();
  return value === 'json' || value === 'text' ? value : 'auto';
}
