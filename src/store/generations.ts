// Generations of one certificate: certs/<id>/generations/NNNN/{key.pem,cert.pem,chain.pem,meta.json},
// immutable once written, and the `current` pointer naming one of them.
//
// The pointer is a small file holding the generation's folder name, replaced by temp + fsync +
// rename (not a symlink): renaming a file over another is atomic on POSIX and on Windows (NTFS
// MoveFileEx with replace), while symlinks on Windows need privileges. A generation folder is
// built under a temporary name and renamed into place only once every file in it is fsynced, so a
// folder named NNNN is always complete; the pointer flip after it is the commit point.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { InternalError } from '../errors.js';
import { ensureDir, readJsonFile, syncDir, tempName, writeFileAtomic, writeNewFile } from './atomicFile.js';
import { crashPoint } from './crashPoint.js';
import type { Generation, GenerationMeta, GenerationSummary, NewGeneration } from './stateModel.js';

export const GENERATION_FILES = ['key.pem', 'cert.pem', 'chain.pem', 'meta.json'] as const;
const NUMBERED = /^\d{4,}$/;

export function generationName(number: number): string {
  return String(number).padStart(4, '0');
}

export const layout = (certDir: string) => ({
  pointer: path.join(certDir, 'current'),
  generations: path.join(certDir, 'generations'),
  archive: path.join(certDir, 'archive'),
  live: (n: number) => path.join(certDir, 'generations', generationName(n)),
  archived: (n: number) => path.join(certDir, 'archive', generationName(n)),
});

/** The number the pointer names, or null when there is no (readable) pointer. */
export async function readPointer(certDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(layout(certDir).pointer, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const name = text.trim();
  return NUMBERED.test(name) ? Number(name) : null;
}

export async function writePointer(certDir: string, number: number): Promise<void> {
  await writeFileAtomic(layout(certDir).pointer, `${generationName(number)}\n`, { mode: 0o644, crashLabel: 'pointer' });
}

async function numbersIn(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((name) => NUMBERED.test(name)).map(Number).sort((a, b) => a - b);
}

export async function liveNumbers(certDir: string): Promise<number[]> {
  return numbersIn(layout(certDir).generations);
}

export async function archivedNumbers(certDir: string): Promise<number[]> {
  return numbersIn(layout(certDir).archive);
}

export async function isComplete(dir: string): Promise<boolean> {
  try {
    const names = new Set(await readdir(dir));
    return GENERATION_FILES.every((name) => names.has(name));
  } catch {
    return false;
  }
}

export async function readMeta(dir: string): Promise<GenerationMeta | null> {
  try {
    return await readJsonFile<GenerationMeta>(path.join(dir, 'meta.json'));
  } catch (error) {
    throw new InternalError(`cannot read ${path.join(dir, 'meta.json')}: ${(error as Error).message}`, 'STATE_CORRUPT');
  }
}

export async function readGenerationAt(dir: string, number: number): Promise<Generation | null> {
  const meta = await readMeta(dir);
  if (meta === null) return null;
  try {
    const [keyPem, certPem, chainPem] = await Promise.all(
      (['key.pem', 'cert.pem', 'chain.pem'] as const).map((name) => readFile(path.join(dir, name), 'utf8')),
    );
    return { number, dir, keyPem: keyPem as string, certPem: certPem as string, chainPem: chainPem as string, meta };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The newest live generation whose folder is complete. */
export async function newestComplete(certDir: string): Promise<number | null> {
  const numbers = await liveNumbers(certDir);
  for (let i = numbers.length - 1; i >= 0; i--) {
    const n = numbers[i] as number;
    if (await isComplete(layout(certDir).live(n))) return n;
  }
  return null;
}

/**
 * The generation to treat as current: the pointer's when its folder is complete, else (a pointer
 * lost or dangling) the newest complete one. Read-only; recover() rewrites the pointer.
 */
export async function currentNumber(certDir: string): Promise<number | null> {
  const pointer = await readPointer(certDir);
  if (pointer !== null && (await isComplete(layout(certDir).live(pointer)))) return pointer;
  return newestComplete(certDir);
}

export async function commitGeneration(certDir: string, input: NewGeneration): Promise<Generation> {
  const paths = layout(certDir);
  await ensureDir(paths.generations);
  const taken = [...(await liveNumbers(certDir)), ...(await archivedNumbers(certDir)), (await readPointer(certDir)) ?? 0];
  const number = Math.max(0, ...taken) + 1;
  const final = paths.live(number);
  const temp = tempName(final);

  await mkdir(temp, { mode: 0o700 });
  crashPoint('generation:dir-created');
  await writeNewFile(path.join(temp, 'key.pem'), input.keyPem, 0o600);
  crashPoint('generation:key-written');
  await writeNewFile(path.join(temp, 'cert.pem'), input.certPem, 0o644);
  crashPoint('generation:cert-written');
  await writeNewFile(path.join(temp, 'chain.pem'), input.chainPem, 0o644);
  crashPoint('generation:chain-written');
  await writeNewFile(path.join(temp, 'meta.json'), `${JSON.stringify(input.meta, null, 2)}\n`, 0o644);
  crashPoint('generation:meta-written');
  await syncDir(temp);
  crashPoint('generation:dir-synced');
  await rename(temp, final);
  crashPoint('generation:renamed');
  await syncDir(paths.generations);
  await writePointer(certDir, number);
  crashPoint('generation:committed');
  return { number, dir: final, keyPem: input.keyPem, certPem: input.certPem, chainPem: input.chainPem, meta: input.meta };
}

export async function listGenerations(certDir: string): Promise<GenerationSummary[]> {
  const paths = layout(certDir);
  const current = await currentNumber(certDir);
  const out: GenerationSummary[] = [];
  for (const [numbers, archived] of [[await liveNumbers(certDir), false], [await archivedNumbers(certDir), true]] as const) {
    for (const number of numbers) {
      const dir = archived ? paths.archived(number) : paths.live(number);
      if (!(await isComplete(dir))) continue;
      const meta = await readMeta(dir);
      if (meta) out.push({ number, dir, meta, current: !archived && number === current, archived });
    }
  }
  return out.sort((a, b) => a.number - b.number);
}

export async function archiveGeneration(certDir: string, number: number): Promise<void> {
  const paths = layout(certDir);
  if ((await currentNumber(certDir)) === number) {
    throw new InternalError(`generation ${generationName(number)} is the current one; roll back to another before archiving it`, 'STATE_ARCHIVE_CURRENT');
  }
  if (!(await isComplete(paths.live(number)))) throw new InternalError(`no generation ${generationName(number)} in ${paths.generations}`, 'STATE_NO_GENERATION');
  await ensureDir(paths.archive);
  await rename(paths.live(number), paths.archived(number));
  await syncDir(paths.archive);
  await syncDir(paths.generations);
}

/**
 * Moves every complete live generation other than `currentNumber` to the archive; the caller read
 * `currentNumber` under the certificate's lock. One readdir when there is nothing to move (the
 * usual case), instead of listing and reading every live and archived generation. Both folders
 * are fsynced once after the renames: a crash before that leaves a generation live, and the next
 * turn archives it again.
 */
export async function archiveAllBut(certDir: string, currentNumber: number): Promise<number[]> {
  const paths = layout(certDir);
  const moved: number[] = [];
  for (const number of await liveNumbers(certDir)) {
    if (number === currentNumber || !(await isComplete(paths.live(number)))) continue;
    if (moved.length === 0) await ensureDir(paths.archive);
    await rename(paths.live(number), paths.archived(number));
    moved.push(number);
  }
  if (moved.length > 0) {
    await syncDir(paths.archive);
    await syncDir(paths.generations);
  }
  return moved;
}

/**
 * Makes `number` current again. Newer live generations are archived first, then the pointer is
 * flipped: a crash in between leaves `number` as the newest complete live generation, which is
 * what recovery then points at, so the rollback completes instead of being undone.
 */
export async function rollbackTo(certDir: string, number: number): Promise<Generation> {
  const paths = layout(certDir);
  if (!(await isComplete(paths.live(number)))) {
    if (!(await isComplete(paths.archived(number)))) throw new InternalError(`no generation ${generationName(number)} to roll back to`, 'STATE_NO_GENERATION');
    await ensureDir(paths.generations);
    await rename(paths.archived(number), paths.live(number));
    await syncDir(paths.generations);
  }
  await ensureDir(paths.archive);
  for (const newer of (await liveNumbers(certDir)).filter((n) => n > number)) {
    await rename(paths.live(newer), paths.archived(newer));
  }
  await syncDir(paths.archive);
  await syncDir(paths.generations);
  await writePointer(certDir, number);
  const generation = await readGenerationAt(paths.live(number), number);
  if (!generation) throw new InternalError(`generation ${generationName(number)} vanished during rollback`, 'STATE_CORRUPT');
  return generation;
}
