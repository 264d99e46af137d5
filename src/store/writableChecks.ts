// Checks `config validate` makes on the paths the configuration names, as the running user:
// stateDir and every output folder exist or can be created and can be written (a real probe write,
// removed at once — permission bits alone do not tell about read-only mounts, /proc or ACLs), and
// hook programs exist and are executable. Problems come back with the FileSystemError codes.
import { constants } from 'node:fs';
import { access, mkdtemp, open, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { splitCommand } from '../daemon/hookCommand.js';
import { fileSystemError } from './fsErrors.js';

export interface PathProblem {
  code: string;
  message: string;
}

async function nearestExisting(dir: string): Promise<{ dir: string; isDir: boolean }> {
  let current = path.resolve(dir);
  for (;;) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
    if (info) return { dir: current, isDir: info.isDirectory() };
    const parent = path.dirname(current);
    if (parent === current) return { dir: current, isDir: false };
    current = parent;
  }
}

/** null when `dir` exists (or can be created) and the running user can write in it. */
export async function checkWritableFolder(dir: string, key: string): Promise<PathProblem | null> {
  const problem = (error: unknown): PathProblem => {
    const typed = fileSystemError(error, { key, path: dir });
    return typed ? { code: typed.code, message: typed.message } : { code: 'PATH_CHECK_FAILED', message: `${dir} (${key}): ${(error as Error).message}` };
  };
  try {
    const existing = await nearestExisting(dir);
    if (!existing.isDir) {
      return problem(Object.assign(new Error('not a folder'), { code: existing.dir === path.resolve(dir) ? 'ENOTDIR' : 'ENOTDIR', path: existing.dir, syscall: 'mkdir' }));
    }
    if (existing.dir === path.resolve(dir)) {
      const probe = path.join(existing.dir, `.autoenroll-probe-${randomBytes(4).toString('hex')}`);
      const handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.close();
      await rm(probe, { force: true });
    } else {
      // It would be created under `existing.dir`: try creating (and removing) a folder there.
      const probe = await mkdtemp(path.join(existing.dir, '.autoenroll-probe-'));
      await rmdir(probe);
    }
    return null;
  } catch (error) {
    return problem(error);
  }
}

/** null when the hook's program exists and is executable (shell hooks: only that the shell exists). */
export async function checkHookProgram(command: string, shell: boolean, key: string, env: NodeJS.ProcessEnv): Promise<PathProblem | null> {
  const program = shell ? (process.platform === 'win32' ? (env.ComSpec ?? 'cmd.exe') : '/bin/sh') : splitCommand(command)[0];
  if (program === undefined || program === '') return { code: 'HOOK_PROGRAM_MISSING', message: `${key}: the command is empty` };
  const candidates = program.includes('/') || program.includes('\\') ? [program] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, program));
  let found: string | undefined;
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => null);
    if (!info?.isFile()) continue;
    found = candidate;
    if (process.platform === 'win32') return null;
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return null;
  }
  if (found) return { code: 'HOOK_PROGRAM_NOT_EXECUTABLE', message: `${key}: ${found} is not executable by the user running autoenroll (chmod +x, or run it through an interpreter)` };
  return { code: 'HOOK_PROGRAM_MISSING', message: `${key}: the program "${program}" does not exist${candidates.length > 1 ? ' on PATH' : ''}` };
}
