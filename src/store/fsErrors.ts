// File-system failures (mkdir, open, write, fsync, rename) as typed errors: each errno a user can
// fix maps to a documented code that names the path and the configuration key it came from, with
// exit 4 where the configuration (or the machine's set-up of that path) must change. Nothing here
// retries: a path that cannot work fails at once.
import path from 'node:path';
import type { Config } from '../config/types.js';
import { AutoenrollError, ExitCode } from '../errors.js';
import type { ErrorJson } from '../errors.js';
import { outputPaths } from './outputs.js';

export class FileSystemError extends AutoenrollError {
  readonly exitCode: ExitCode;
  readonly path: string;
  readonly key: string | undefined;
  readonly errno: string;
  constructor(code: string, message: string, details: { path: string; key?: string; errno: string; exitCode: ExitCode }) {
    super(code, message);
    this.path = details.path;
    this.key = details.key;
    this.errno = details.errno;
    this.exitCode = details.exitCode;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), path: this.path, key: this.key, errno: this.errno };
  }
}

interface Mapping {
  code: (isState: boolean) => string;
  exitCode: ExitCode;
  explain: string;
}

const MAPPINGS: Record<string, Mapping> = {
  EACCES: { code: (s) => (s ? 'STATE_DIR_NOT_WRITABLE' : 'OUTPUT_NOT_WRITABLE'), exitCode: ExitCode.CONFIG, explain: 'permission denied for the user running autoenroll; give it write access or choose another folder' },
  EPERM: { code: (s) => (s ? 'STATE_DIR_NOT_WRITABLE' : 'OUTPUT_NOT_WRITABLE'), exitCode: ExitCode.CONFIG, explain: 'the operation is not permitted (permissions, immutable attribute or a security policy); choose another folder or change its permissions' },
  ENOTDIR: { code: () => 'OUTPUT_NOT_A_FOLDER', exitCode: ExitCode.CONFIG, explain: 'a part of the path that must be a folder is a file; fix the path' },
  ENOENT: { code: () => 'OUTPUT_PARENT_MISSING', exitCode: ExitCode.CONFIG, explain: 'a parent folder does not exist and cannot be created there; fix the path or create the folder' },
  EROFS: { code: () => 'READ_ONLY_FILE_SYSTEM', exitCode: ExitCode.CONFIG, explain: 'the file system is mounted read-only; choose a writable location' },
  EISDIR: { code: () => 'OUTPUT_IS_A_FOLDER', exitCode: ExitCode.CONFIG, explain: 'the path names a folder, not a file; fix the path' },
  EEXIST: { code: () => 'OUTPUT_NOT_A_FOLDER', exitCode: ExitCode.CONFIG, explain: 'something that is not a folder is in the way of the folder to create; fix the path' },
  ENAMETOOLONG: { code: () => 'OUTPUT_PATH_INVALID', exitCode: ExitCode.CONFIG, explain: 'the path is too long; choose a shorter one' },
  ELOOP: { code: () => 'OUTPUT_PATH_INVALID', exitCode: ExitCode.CONFIG, explain: 'the path has a symbolic-link loop; fix the path' },
  ENOSPC: { code: () => 'DISK_FULL', exitCode: ExitCode.INTERNAL, explain: 'no space left on the device; free space (nothing was replaced: the previous files are intact)' },
  EDQUOT: { code: () => 'DISK_FULL', exitCode: ExitCode.INTERNAL, explain: 'the disk quota is exhausted; free space (nothing was replaced: the previous files are intact)' },
  EIO: { code: () => 'IO_ERROR', exitCode: ExitCode.INTERNAL, explain: 'the device reported an I/O error; check the disk' },
};

function errnoOf(error: unknown): { code: string; path: string | undefined } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, path: file } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && code in MAPPINGS ? { code, path: typeof file === 'string' ? file : undefined } : undefined;
}

function within(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The configuration key a path belongs to: stateDir, or certificates[i].output.<kind>. */
export function configKeyOf(config: Pick<Config, 'stateDir' | 'certificates'>, file: string): string | undefined {
  if (within(file, config.stateDir)) return 'stateDir';
  for (const [index, certificate] of config.certificates.entries()) {
    for (const [kind, target] of certificate.output ? outputPaths(certificate.output) : []) {
      if (file === target || path.dirname(target) === file || within(path.dirname(target), file) || file.startsWith(`${target}.tmp-`)) return `certificates[${index}].output.${kind}`;
    }
  }
  return undefined;
}

/** A typed FileSystemError for an errno error we know, else undefined. `key`: the config key, when the caller knows it. */
export function fileSystemError(error: unknown, where: { key?: string; path?: string; config?: Pick<Config, 'stateDir' | 'certificates'> } = {}): FileSystemError | undefined {
  const errno = errnoOf(error);
  if (!errno) return undefined;
  const file = errno.path ?? where.path ?? '?';
  const key = where.key ?? (where.config ? configKeyOf(where.config, file) : undefined);
  const mapping = MAPPINGS[errno.code] as Mapping;
  const isState = key === 'stateDir';
  const code = isState && mapping.exitCode === ExitCode.CONFIG && errno.code !== 'EROFS' ? 'STATE_DIR_NOT_WRITABLE' : mapping.code(isState);
  const syscall = (error as NodeJS.ErrnoException).syscall;
  const message = `${file}${key ? ` (${key})` : ''}: ${syscall ? `${syscall} failed` : 'failed'} with ${errno.code}: ${mapping.explain}`;
  return new FileSystemError(code, message, { path: file, ...(key ? { key } : {}), errno: errno.code, exitCode: mapping.exitCode });
}
