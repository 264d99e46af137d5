// A V8 code cache for the bundled CLI (what v8-compile-cache does for CommonJS; Node 20 has none
// for ES modules). Compiling the bundle is a large share of a one-shot command's start-up
// (BENCHMARKS.md, "CLI start-up"); with the cache V8 skips parsing and compiling every function
// the same command compiled last time. One cache file per top-level command, written after a
// successful run of that command when none was accepted, named for the bundle build, the V8
// version and the architecture, so a rebuilt bundle or another Node never reads a stale one (V8
// also rejects a mismatch itself: `cachedDataRejected`).
//
// V8 trusts a code cache as it trusts code, so the cache lives only where no one else can write:
// a per-user folder (XDG_CACHE_HOME/autoenroll, ~/.cache/autoenroll, ~/Library/Caches/autoenroll,
// %LOCALAPPDATA%\autoenroll), created 0700; on POSIX the folder and file must belong to the
// current user and be writable by no one else, or they are ignored. AUTOENROLL_CODE_CACHE=off
// disables it; AUTOENROLL_CODE_CACHE=/abs/dir puts it elsewhere. Failures never reach the user.
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';

export interface CodeCacheEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Current user id on POSIX; undefined on Windows (no ownership checks there). */
  uid: number | undefined;
}

export function currentEnvironment(): CodeCacheEnvironment {
  return { env: process.env, platform: process.platform, uid: typeof process.getuid === 'function' ? process.getuid() : undefined };
}

/** The folder for code caches, or undefined when switched off or no per-user folder is known. */
export function codeCacheDir({ env, platform }: CodeCacheEnvironment): string | undefined {
  const setting = env.AUTOENROLL_CODE_CACHE;
  if (setting !== undefined && setting !== '') {
    if (/^(off|0|false|no)$/i.test(setting)) return undefined;
    return path.isAbsolute(setting) ? setting : undefined;
  }
  if (platform === 'win32') return env.LOCALAPPDATA ? path.win32.join(env.LOCALAPPDATA, 'autoenroll', 'code-cache') : undefined;
  const home = env.HOME;
  if (platform === 'darwin' && home) return path.join(home, 'Library', 'Caches', 'autoenroll', 'code-cache');
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'autoenroll', 'code-cache');
  return home ? path.join(home, '.cache', 'autoenroll', 'code-cache') : undefined;
}

/** File name of one command's cache for this bundle build and this V8. */
export function codeCacheFileName(buildId: string, command: string | undefined): string {
  const safe = (value: string): string => value.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(buildId)}-v8-${safe(process.versions.v8)}-${process.arch}-${safe(command ?? 'default')}.bin`;
}

/** Owned by the current user and writable by no one else (always true where there is no uid). */
function private_(stats: Stats, uid: number | undefined): boolean {
  return uid === undefined || (stats.uid === uid && (stats.mode & 0o022) === 0);
}

/**
 * Makes sure `dir` exists and is private to this user; false when it cannot be used (then the
 * caller runs without a cache). Only the last component is created 0700 if missing.
 */
export function prepareCodeCacheDir(dir: string, environment: CodeCacheEnvironment): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = lstatSync(dir);
    return stats.isDirectory() && private_(stats, environment.uid);
  } catch {
    return false;
  }
}

/** The cached data, or undefined when absent, not a private regular file, or unreadable. */
export function readCodeCache(file: string, environment: CodeCacheEnvironment): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stats = fstatSync(fd);
    if (!stats.isFile() || !private_(stats, environment.uid) || lstatSync(file).isSymbolicLink()) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the cache whole or not at all (temporary file, then rename); never throws. */
export function writeCodeCache(file: string, data: Uint8Array): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
}

const STALE_MS = 7 * 24 * 3600 * 1000;

/**
 * Removes caches of other bundle builds unused for a week (an upgrade leaves the old build's files
 * behind; another installation still in use keeps its own). Never throws.
 */
export function pruneCodeCaches(dir: string, buildId: string, nowMs: number): void {
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.bin') || name.startsWith(`${buildId}-`)) continue;
      const file = path.join(dir, name);
      if (nowMs - lstatSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
    }
  } catch {
    // A cache folder that cannot be listed is simply left as it is.
  }
}
