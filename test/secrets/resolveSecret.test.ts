import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialError } from '../../src/errors.js';
import { checkSecret } from '../../src/secrets/checkSecret.js';
import { describeSecretRef, mapSecretSource, resolveSecret } from '../../src/secrets/resolveSecret.js';

const SECRET = 'correct horse battery staple';
const posix = process.platform !== 'win32';

describe('resolveSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'autoenroll-secret-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function secretFile(name: string, content: string, mode: number): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, content, { mode });
    await chmod(file, mode);
    return file;
  }

  it('reads an environment variable, and says which one is missing', async () => {
    expect(await resolveSecret({ env: 'PW' }, { env: { PW: SECRET } })).toBe(SECRET);
    await expect(resolveSecret({ env: 'PW' }, { env: {} })).rejects.toMatchObject({ code: 'SECRET_ENV_MISSING', message: expect.stringContaining('PW'), exitCode: 4 });
    await expect(resolveSecret({ env: 'PW' }, { env: { PW: '' } })).rejects.toBeInstanceOf(CredentialError);
  });

  it('reads an owner-only file, dropping one trailing newline', async () => {
    expect(await resolveSecret({ file: await secretFile('a', `${SECRET}\n`, 0o600) }, { env: {} })).toBe(SECRET);
    expect(await resolveSecret({ file: await secretFile('b', `${SECRET}\r\n`, 0o400) }, { env: {} })).toBe(SECRET);
    expect(await resolveSecret({ file: await secretFile('c', `${SECRET}\n\n`, 0o600) }, { env: {} })).toBe(`${SECRET}\n`);
    expect(await resolveSecret({ file: await secretFile('d', SECRET, 0o600) }, { env: {} })).toBe(SECRET);
  });

  it('resolves a relative file against the config folder', async () => {
    await secretFile('rel', SECRET, 0o600);
    expect(await resolveSecret({ file: 'rel' }, { env: {}, configDir: dir })).toBe(SECRET);
  });

  it.skipIf(!posix)('refuses a file others can read, naming the chmod fix and not the secret', async () => {
    const file = await secretFile('wide', SECRET, 0o644);
    const error = await resolveSecret({ file }, { env: {} }).catch((e: unknown) => e as CredentialError);
    expect(error).toMatchObject({ code: 'SECRET_FILE_PERMISSIONS', exitCode: 4 });
    expect((error as Error).message).toContain(`chmod 600 ${file}`);
    expect((error as Error).message).toContain('0644');
    expect((error as Error).message).not.toContain(SECRET);
    await expect(resolveSecret({ file: await secretFile('group', SECRET, 0o640) }, { env: {} })).rejects.toMatchObject({ code: 'SECRET_FILE_PERMISSIONS' });
  });

  it.skipIf(!posix)('checks the file a symlink points to', async () => {
    const target = await secretFile('target', SECRET, 0o600);
    await symlink(target, path.join(dir, 'link'));
    expect(await resolveSecret({ file: path.join(dir, 'link') }, { env: {} })).toBe(SECRET);
    await chmod(target, 0o644);
    await expect(resolveSecret({ file: path.join(dir, 'link') }, { env: {} })).rejects.toMatchObject({ code: 'SECRET_FILE_PERMISSIONS' });
  });

  it('refuses missing, empty and non-regular files', async () => {
    await expect(resolveSecret({ file: path.join(dir, 'none') }, { env: {} })).rejects.toMatchObject({ code: 'SECRET_FILE_MISSING' });
    await expect(resolveSecret({ file: await secretFile('empty', '\n', 0o600) }, { env: {} })).rejects.toMatchObject({ code: 'SECRET_FILE_EMPTY' });
    await mkdir(path.join(dir, 'folder'), { mode: 0o700 });
    await expect(resolveSecret({ file: path.join(dir, 'folder') }, { env: {} })).rejects.toMatchObject({ message: expect.stringContaining('not a regular file') });
  });

  it('reads a systemd credential from $CREDENTIALS_DIRECTORY', async () => {
    await secretFile('enroll', `${SECRET}\n`, 0o400);
    expect(await resolveSecret({ systemdCredential: 'enroll' }, { env: { CREDENTIALS_DIRECTORY: dir } })).toBe(SECRET);
    await expect(resolveSecret({ systemdCredential: 'other' }, { env: { CREDENTIALS_DIRECTORY: dir } })).rejects.toMatchObject({ code: 'SECRET_FILE_MISSING', message: expect.stringContaining('"other"') });
  });

  it('explains that a systemd credential needs LoadCredential when not run by systemd', async () => {
    const error = (await resolveSecret({ systemdCredential: 'enroll' }, { env: {} }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'SECRET_SYSTEMD_UNAVAILABLE' });
    expect(error.message).toContain('LoadCredential=enroll:');
  });

  it('describes references without values, and checks them without returning the value', async () => {
    expect(describeSecretRef({ env: 'X' })).toBe('env:X');
    expect(describeSecretRef({ keyring: 'k' })).toBe('keyring:k');
    expect(describeSecretRef({ systemdCredential: 's' })).toBe('systemdCredential:s');
    expect(await checkSecret({ env: 'PW' }, { env: { PW: SECRET } })).toEqual({ source: 'env:PW', ok: true });
    const failed = await checkSecret({ env: 'PW' }, { env: {} });
    expect(failed).toMatchObject({ source: 'env:PW', ok: false, error: { code: 'SECRET_ENV_MISSING' } });
    expect(JSON.stringify(await checkSecret({ env: 'PW' }, { env: { PW: SECRET } }))).not.toContain(SECRET);
  });

  it('offers a map-backed source for tests', async () => {
    const source = mapSecretSource({ 'env:PW': SECRET });
    expect(await source.resolve({ env: 'PW' })).toBe(SECRET);
    await expect(source.resolve({ keyring: 'x' })).rejects.toBeInstanceOf(CredentialError);
  });
});
