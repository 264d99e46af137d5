// Resolves a secret reference from the config into its value. The value is returned to the one
// caller that needs it and never appears in an error message or a log line: errors name the
// reference (variable, path, credential or keyring name) and the fix.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { SecretRef } from '../config/types.js';
import { CredentialError } from '../errors.js';
import { readKeyring } from './keyring.js';
import { registerSecret } from './redactor.js';

const MAX_SECRET_BYTES = 64 * 1024;

export interface SecretOptions {
  env: NodeJS.ProcessEnv;
  /** Base of a relative { file } path (the config loader already makes them absolute). */
  configDir?: string;
}

/** The SecretSource seam: the executor asks it for values; tests may pass a map-backed one. */
export interface SecretSource {
  resolve(ref: SecretRef): Promise<string>;
}

export function createSecretSource(options: SecretOptions): SecretSource {
  return { resolve: (ref) => resolveSecret(ref, options) };
}

/** A source answering from a map keyed by describeSecretRef(ref); for tests and the demo. */
export function mapSecretSource(values: Record<string, string>): SecretSource {
  return {
    resolve: async (ref) => {
      const value = values[describeSecretRef(ref)];
      if (value === undefined) throw new CredentialError(`no value for ${describeSecretRef(ref)}`, 'SECRET_MISSING');
      return value;
    },
  };
}

/** A printable name for the reference (never its value): `env:NAME`, `file:/path`, `keyring:NAME`, `systemdCredential:NAME`. */
export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `env:${ref.env}`;
  if ('file' in ref) return `file:${ref.file}`;
  if ('keyring' in ref) return `keyring:${ref.keyring}`;
  return `systemdCredential:${ref.systemdCredential}`;
}

/** Resolves a secret reference and registers the value for redaction (redactor.ts). */
export async function resolveSecret(ref: SecretRef, options: SecretOptions): Promise<string> {
  const value = await resolveSecretValue(ref, options);
  registerSecret(value);
  return value;
}

async function resolveSecretValue(ref: SecretRef, options: SecretOptions): Promise<string> {
  if ('env' in ref) {
    const value = options.env[ref.env];
    if (value === undefined || value === '') {
      throw new CredentialError(`the environment variable ${ref.env} is not set (or empty); set it for the autoenroll process`, 'SECRET_ENV_MISSING');
    }
    return value;
  }
  if ('file' in ref) {
    const file = path.resolve(options.configDir ?? process.cwd(), ref.file);
    return readSecretFile(file, `the password file ${file}`);
  }
  if ('systemdCredential' in ref) {
    const dir = options.env.CREDENTIALS_DIRECTORY;
    if (!dir) {
      throw new CredentialError(
        `the systemd credential "${ref.systemdCredential}" is not available: $CREDENTIALS_DIRECTORY is not set. ` +
          `This works only when systemd starts autoenroll with LoadCredential=${ref.systemdCredential}:/path/to/file (or LoadCredentialEncrypted=) in the unit`,
        'SECRET_SYSTEMD_UNAVAILABLE',
      );
    }
    return readSecretFile(path.join(dir, ref.systemdCredential), `the systemd credential "${ref.systemdCredential}" (${path.join(dir, ref.systemdCredential)})`);
  }
  return readKeyring(ref.keyring, options.env);
}

/**
 * Reads a secret file: a regular file, not readable or writable by group or others on POSIX
 * (a password others can read is already leaked), at most 64 KiB; one trailing newline is dropped
 * (`echo pw > file` adds one). The checks are made on the opened descriptor, not the path, so the
 * file cannot be swapped between the check and the read.
 */
export async function readSecretFile(file: string, what: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : `cannot be opened (${code ?? (error as Error).message})`;
    throw new CredentialError(`${what} ${why}`, code === 'ENOENT' ? 'SECRET_FILE_MISSING' : 'SECRET_FILE_UNREADABLE');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CredentialError(`${what} is not a regular file`, 'SECRET_FILE_UNREADABLE');
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new CredentialError(
        `${what} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}: a password file must be readable by its owner only; fix it with: chmod 600 ${file}`,
        'SECRET_FILE_PERMISSIONS',
      );
    }
    if (info.size > MAX_SECRET_BYTES) throw new CredentialError(`${what} is ${info.size} bytes; a password file is at most 64 KiB`, 'SECRET_FILE_UNREADABLE');
    const text = await handle.readFile('utf8');
    const value = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
    if (value === '') throw new CredentialError(`${what} is empty`, 'SECRET_FILE_EMPTY');
    return value;
  } finally {
    await handle.close();
  }
}
