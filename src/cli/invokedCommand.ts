// Which top-level command an argv names, read before commander runs: the process entry uses it to
// pick the code cache, and runCli to define only that command. Anything doubtful (help asked for,
// an unknown word, no command) answers undefined, meaning "set up every command as usual".

/** Top-level commands, as declared in main.ts. */
export const TOP_LEVEL_COMMANDS = [
  'enroll',
  'renew',
  'retrieve',
  'pulse',
  'status',
  'plan',
  'policy',
  'run',
  'doctor',
  'request',
  'lab',
  'demo',
  'service',
  'config',
  'notify',
  'hook',
  'credentials',
  'completion',
] as const;

/** Global options that take a value (the next argument is not a command). */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--config']);

export function invokedCommand(argv: readonly string[]): string | undefined {
  if (argv.some((arg) => arg === '-h' || arg === '--help' || arg === '--')) return undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return (TOP_LEVEL_COMMANDS as readonly string[]).includes(arg) ? arg : undefined;
  }
  return undefined;
}
