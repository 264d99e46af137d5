// Durable file primitives. A file is replaced by writing a temporary file in the same folder
// (so the rename cannot cross file systems), fsyncing it, renaming it over the target and
// fsyncing the folder, so that after a crash the path holds either the old or the new content,
// never a mix. Modes are set at creation (open with `mode`), so a key is never readable by others,
// not even for an instant.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { crashPoint } from './crashPoint.js';

const isWindows = process.platform === 'win32';

// A random part per process and a counter: randomBytes() for every temporary name cost ≈ 20 µs of
// OpenSSL each, a dozen times per certificate. O_EXCL still refuses any name that exists.
const tempPrefix = randomBytes(6).toString('hex');
let tempCounter = 0;

/** `<name>.tmp-<hex>`: recognisable by recovery, unique per writer. */
export function tempName(target: string): string {
  tempCounter = (tempCounter + 1) % 0x1000000;
  return `${target}.tmp-${tempPrefix}${tempCounter.toString(16).padStart(6, '0')}`;
}

export function isTempName(name: string): boolean {
  return /\.tmp-[0-9a-f]+$/.test(name);
}

/**
 * rename(), retried briefly on Windows where a reader (antivirus, indexer, a service holding the
 * old file open without FILE_SHARE_DELETE) can make the replace fail transiently.
 */
export async function renameDurable(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!isWindows || attempt >= 20 || !['EPERM', 'EACCES', 'EBUSY'].includes(code ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Writes a new file (fails if it exists), fsyncs it. */
export async function writeNewFile(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed the mode; a wider mode (0644 outputs) must still be honoured.
    if (!isWindows) await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a folder so a rename or create inside it survives a power cut. A no-op on Windows, where folders cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  if (isWindows) return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Prefix of the crash points reached (`<label>:temp-written`, `<label>:renamed`). */
  crashLabel?: string;
  /**
   * false: the caller fsyncs the folder itself, once after a group of files written together
   * there, before anything that depends on them (default true).
   */
  syncFolder?: boolean;
}

/** Replaces `file` atomically and durably with `data`. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempName(file);
  try {
    await writeNewFile(temp, data, options.mode ?? 0o600);
    if (options.crashLabel) crashPoint(`${options.crashLabel}:temp-written`);
    await renameDurable(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  if (options.crashLabel) crashPoint(`${options.crashLabel}:renamed`);
  if (options.syncFolder !== false) await syncDir(path.dirname(file));
}

export async function writeJsonAtomic(file: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Parsed JSON, or null when the file does not exist. */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as T;
}

export async function readOptional(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** mkdir -p with a mode for the folders it creates (0700: state holds keys). */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  // Not mkdir({ recursive: true }): under /proc (and other file systems that answer ENOENT for a
  // parent that exists) Node's recursive mkdir retries forever at 100 % CPU. One mkdir per missing
  // level, deepest existing folder first; the first error is final.
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      await mkdir(current, { mode });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        if (missing.length === 0 && !(await isDirectory(current))) throw error;
        if (missing.length > 0 && !(await isDirectory(current))) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${missing[missing.length - 1]}'`), { code: 'ENOTDIR', path: current, syscall: 'mkdir' });
        break;
      }
      const parent = path.dirname(current);
      if (code !== 'ENOENT' || parent === current || missing.includes(current)) throw error;
      missing.push(current);
      current = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await isDirectory(level))) throw error;
    }
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then((info) => info.isDirectory(), () => false);
}
