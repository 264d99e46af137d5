// The environment of every program autoenroll starts (deploy and failure hooks, and any other
// child such as a notification command): not the agent's own environment, which may hold an
// enrollment password (password: { env: ... }), a proxy password, or CREDENTIALS_DIRECTORY, but
// a minimal one:
// - PATH, HOME, USER, LOGNAME, SHELL, TMPDIR, TZ, LANG, LANGUAGE and every LC_* (so programs find
//   their tools and speak the operator's language; HOME because many tools need it, it holds no
//   secret of ours);
// - on Windows also SystemRoot, windir, ComSpec, PATHEXT, TEMP, TMP (a process cannot start without them);
// - the names the configuration allow-lists in hooks.environment, as the agent has them;
// - the AUTOENROLL_* facts of the event (these win over any inherited value).
// Every value is passed through the redactor, so no secret value the agent holds reaches a child.
import { redact } from '../secrets/redactor.js';

export const BASE_ENVIRONMENT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TZ', 'LANG', 'LANGUAGE'] as const;
export const WINDOWS_ENVIRONMENT = ['SystemRoot', 'windir', 'ComSpec', 'PATHEXT', 'TEMP', 'TMP'] as const;

export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  facts: Readonly<Record<string, string>>,
  allowed: readonly string[] = [],
  platform: NodeJS.Platform = process.platform,
): NodeJS.ProcessEnv {
  const names = new Set<string>([...BASE_ENVIRONMENT, ...(platform === 'win32' ? WINDOWS_ENVIRONMENT : []), ...allowed]);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const wanted = names.has(name) || name.startsWith('LC_') || (platform === 'win32' && [...names].some((n) => n.toLowerCase() === name.toLowerCase()));
    if (wanted) env[name] = redact(value);
  }
  for (const [name, value] of Object.entries(facts)) env[name] = redact(value);
  return env;
}
