// Cross-process locks: a lock file created exclusively (O_CREAT|O_EXCL, "wx") holding the owner's
// pid, host, process start time and a random token. Exclusive create is atomic on local file
// systems on Linux, macOS and Windows alike, so the same code serves all three.
//
// A lock whose owner is gone (same host, pid not running, or the pid now belongs to a process
// that started later) is stale and is broken. Breaking is itself serialized by a short-lived
// `<lock>.break` file so that two processes cannot both break a stale lock and then both believe
// they hold the fresh one.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { InternalError } from '../errors.js';
import type { LockOptions, Release } from './storeTypes.js';

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO 8601, when the lock was taken. */
  startedAt: string;
  /** Kernel start time of the owning process (Linux), to tell a reused pid from the owner. */
  processStart?: string;
  token: string;
}

const RETRY_MS = 50;
/** A lock or breaker file without readable content older than this was left by a crash while it was being written. */
const UNREADABLE_STALE_MS = 10_000;

function processStartOf(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so count from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the owner cannot be running any more. Locks held from another host are never judged stale. */
export function isStale(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return false;
  if (!pidAlive(owner.pid)) return true;
  if (owner.processStart !== undefined) {
    const now = processStartOf(owner.pid);
    if (now !== undefined && now !== owner.processStart) return true;
  }
  return false;
}

async function readOwner(file: string): Promise<{ owner: LockOwner | null; ageMs: number } | null> {
  let text: string;
  let ageMs: number;
  try {
    [text, ageMs] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => Date.now() - s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.token === 'string' ? { owner, ageMs } : { owner: null, ageMs };
  } catch {
    return { owner: null, ageMs };
  }
}

async function tryCreate(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Removes `file` if it still holds what we judged stale (same token, or still unreadable). */
async function breakStale(file: string, seenToken: string | null): Promise<void> {
  const breaker = `${file}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const held = await readOwner(breaker);
    if (held && held.ageMs > UNREADABLE_STALE_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    const again = await readOwner(file);
    if (again && (again.owner?.token ?? null) === seenToken) await rm(file, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/** Takes the lock at `file` for `what` (used in the busy message). */
export async function acquireLock(file: string, what: string, options: LockOptions = {}): Promise<Release> {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  const processStart = processStartOf(process.pid);
  if (processStart !== undefined) owner.processStart = processStart;
  const content = `${JSON.stringify(owner)}\n`;
  const deadline = Date.now() + (options.wait ?? 0);

  for (;;) {
    if (await tryCreate(file, content)) break;
    const held = await readOwner(file);
    if (held === null) continue; // released between our attempt and the read
    const stale = held.owner ? isStale(held.owner) : held.ageMs > UNREADABLE_STALE_MS;
    if (stale) {
      await breakStale(file, held.owner?.token ?? null);
      continue;
    }
    if (Date.now() >= deadline) {
      const by = held.owner
        ? `process ${held.owner.pid} on ${held.owner.hostname} (since ${held.owner.startedAt})`
        : 'another process';
      throw new InternalError(
        `${what} is locked by ${by}; wait for it to finish, or remove ${file} if that process no longer exists`,
        'STATE_LOCKED',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, Math.max(1, deadline - Date.now()))));
  }

  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const held = await readOwner(file);
    if (held?.owner?.token === owner.token) await rm(file, { force: true });
  };
}
