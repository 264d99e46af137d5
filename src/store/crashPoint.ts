// Crash injection for the crash-safety tests: with AUTOENROLL_CRASH_AT=<name> the process kills
// itself with SIGKILL (no cleanup, no flush, like a power cut for the process) when it reaches
// that point; `<name>#<n>` kills at the n-th time the point is reached. Unset, this is one
// comparison per durable step. The store calls it between every durable step; the executor adds
// its own points with the same function.

const hits = new Map<string, number>();

export function crashPoint(name: string): void {
  const target = process.env.AUTOENROLL_CRASH_AT;
  if (target === undefined || target === '') return;
  const hash = target.lastIndexOf('#');
  if (hash < 0) {
    if (target === name) die(name);
    return;
  }
  if (target.slice(0, hash) !== name) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (count === Number(target.slice(hash + 1))) die(name);
}

function die(name: string): never {
  // Written synchronously so the test can tell which point fired; then no cleanup of any kind.
  try {
    process.stderr.write(`autoenroll: crash point ${name}\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
  // SIGKILL is not deliverable late; this line is never reached, but keeps the type `never` honest.
  throw new Error(`crash point ${name}`);
}

/** The store's crash points, in the order a commit + install reaches them (the tests iterate over these). */
export const STORE_CRASH_POINTS = [
  'generation:dir-created',
  'generation:key-written',
  'generation:cert-written',
  'generation:chain-written',
  'generation:meta-written',
  'generation:dir-synced',
  'generation:renamed',
  'pointer:temp-written',
  'pointer:renamed',
  'generation:committed',
  'output:cert:temp-written',
  'output:cert:renamed',
  'output:key:temp-written',
  'output:key:renamed',
  'output:chain:temp-written',
  'output:chain:renamed',
  'output:fullchain:temp-written',
  'output:fullchain:renamed',
  'output:pfx:temp-written',
  'output:pfx:renamed',
  'outputs-marker:temp-written',
  'outputs-marker:renamed',
] as const;
