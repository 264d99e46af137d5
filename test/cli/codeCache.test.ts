import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { codeCacheDir, codeCacheFileName, currentEnvironment, prepareCodeCacheDir, pruneCodeCaches, readCodeCache, writeCodeCache } from '../../src/cli/codeCache.js';
import type { CodeCacheEnvironment } from '../../src/cli/codeCache.js';

const posix = process.platform !== 'win32';
const here = currentEnvironment();
const tempDir = (): string => mkdtempSync(path.join(tmpdir(), 'autoenroll-codecache-'));
const SOURCE = 'function answer(n) { return n * 2 + 0.5 }; answer(20);';

describe('code cache folder', () => {
  const env = (values: NodeJS.ProcessEnv, platform: NodeJS.Platform = 'linux'): CodeCacheEnvironment => ({ env: values, platform, uid: 1000 });

  it('is per user: XDG_CACHE_HOME, else ~/.cache; ~/Library/Caches on macOS; LOCALAPPDATA on Windows', () => {
    expect(codeCacheDir(env({ HOME: '/home/a', XDG_CACHE_HOME: '/var/cache/a' }))).toBe('/var/cache/a/autoenroll/code-cache');
    expect(codeCacheDir(env({ HOME: '/home/a', XDG_CACHE_HOME: 'relative' }))).toBe('/home/a/.cache/autoenroll/code-cache');
    expect(codeCacheDir(env({ HOME: '/Users/a' }, 'darwin'))).toBe('/Users/a/Library/Caches/autoenroll/code-cache');
    expect(codeCacheDir(env({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32'))).toBe('C:\\Users\\a\\AppData\\Local\\autoenroll\\code-cache');
  });

  it('is switched off by AUTOENROLL_CODE_CACHE=off, moved by an absolute path, and absent without a home', () => {
    expect(codeCacheDir(env({ HOME: '/home/a', AUTOENROLL_CODE_CACHE: 'off' }))).toBeUndefined();
    expect(codeCacheDir(env({ HOME: '/home/a', AUTOENROLL_CODE_CACHE: '0' }))).toBeUndefined();
    expect(codeCacheDir(env({ HOME: '/home/a', AUTOENROLL_CODE_CACHE: '/srv/cc' }))).toBe('/srv/cc');
    expect(codeCacheDir(env({ HOME: '/home/a', AUTOENROLL_CODE_CACHE: 'cc' }))).toBeUndefined();
    expect(codeCacheDir(env({}))).toBeUndefined();
  });

  it('names a file for the bundle build, the V8 version, the architecture and the command', () => {
    const name = codeCacheFileName('abc123', 'status');
    expect(name).toBe(`abc123-v8-${process.versions.v8}-${process.arch}-status.bin`.replace(/[^A-Za-z0-9._-]/g, '_'));
    expect(codeCacheFileName('abc123', undefined)).toMatch(/-default\.bin$/);
    expect(codeCacheFileName('../x', '../../y')).not.toContain('/');
  });
});

/** Compiles SOURCE with the cache file in a new node process: was the cache rejected, and the result. */
function consume(file: string): { rejected: boolean; value: unknown } {
  const code = `const { Script } = require('node:vm'); const s = new Script(${JSON.stringify(SOURCE)}, { filename: 'answer.js', cachedData: require('node:fs').readFileSync(${JSON.stringify(file)}) }); const value = s.runInThisContext(); process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, value }));`;
  return JSON.parse(spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' }).stdout) as { rejected: boolean; value: unknown };
}

describe('code cache files', () => {
  it('round-trip: V8 accepts what was written after a run, and rejects a damaged file', () => {
    const dir = path.join(tempDir(), 'cc');
    expect(prepareCodeCacheDir(dir, here)).toBe(true);
    if (posix) expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = path.join(dir, 'x.bin');
    const first = new Script(SOURCE, { filename: 'answer.js' });
    expect(first.runInThisContext()).toBe(40.5);
    writeCodeCache(file, first.createCachedData());
    if (posix) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['x.bin']);

    const cachedData = readCodeCache(file, here);
    expect(cachedData?.length).toBeGreaterThan(0);
    // Consumed in a fresh process: in this one V8 would reuse its own compilation of SOURCE.
    expect(consume(file)).toEqual({ rejected: false, value: 40.5 });

    const damaged = Buffer.from(cachedData ?? []);
    damaged.fill(7, 0, 16);
    writeFileSync(file, damaged, { mode: 0o600 });
    expect(consume(file)).toEqual({ rejected: true, value: 40.5 });
  });

  it('reads nothing from a missing file', () => {
    expect(readCodeCache(path.join(tempDir(), 'none.bin'), here)).toBeUndefined();
  });

  it.skipIf(!posix)('ignores a cache others could have written: group/world-writable file or folder, or a symbolic link', () => {
    const dir = path.join(tempDir(), 'cc');
    expect(prepareCodeCacheDir(dir, here)).toBe(true);
    const file = path.join(dir, 'x.bin');
    writeCodeCache(file, new Uint8Array([1, 2, 3]));
    expect(readCodeCache(file, here)).toEqual(Buffer.from([1, 2, 3]));
    chmodSync(file, 0o620);
    expect(readCodeCache(file, here)).toBeUndefined();
    chmodSync(file, 0o600);
    const link = path.join(dir, 'link.bin');
    symlinkSync(file, link);
    expect(readCodeCache(link, here)).toBeUndefined();
    chmodSync(dir, 0o777);
    expect(prepareCodeCacheDir(dir, here)).toBe(false);
    chmodSync(dir, 0o700);
    expect(prepareCodeCacheDir(dir, { ...here, uid: (here.uid ?? 0) + 1 })).toBe(false);
  });

  it('prunes caches of other builds unused for a week, keeping this build and recent ones', () => {
    const dir = tempDir();
    const old = Date.now() / 1000 - 8 * 24 * 3600;
    for (const name of ['mine-a.bin', 'other-old.bin', 'other-new.bin', 'notes.txt']) writeFileSync(path.join(dir, name), 'x');
    for (const name of ['mine-a.bin', 'other-old.bin', 'notes.txt']) utimesSync(path.join(dir, name), old, old);
    pruneCodeCaches(dir, 'mine', Date.now());
    expect(readdirSync(dir).sort()).toEqual(['mine-a.bin', 'notes.txt', 'other-new.bin']);
  });
});

const launcher = path.resolve('dist/main.js');

describe.skipIf(!existsSync(launcher) || !existsSync(path.resolve('dist/cli.cjs')))('the built launcher (dist/main.js)', () => {
  it('writes the command cache after a successful run and then uses it; the output never changes', () => {
    const dir = path.join(tempDir(), 'cc');
    const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [launcher, '--version'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const first = run({ AUTOENROLL_CODE_CACHE: dir });
    expect(first.status).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/-default\.bin$/);
    const written = readFileSync(path.join(dir, files[0] as string));
    const second = run({ AUTOENROLL_CODE_CACHE: dir });
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe('');
    // Accepted, so not rewritten.
    expect(readFileSync(path.join(dir, files[0] as string))).toEqual(written);
    const without = run({ AUTOENROLL_CODE_CACHE: 'off' });
    expect(without.status).toBe(0);
    expect(without.stdout).toBe(first.stdout);
  });

  it('runs from the ES module build when the cache folder cannot be used', () => {
    const parent = tempDir();
    const blocked = path.join(parent, 'file');
    writeFileSync(blocked, '');
    const result = spawnSync(process.execPath, [launcher, '--version'], { env: { ...process.env, AUTOENROLL_CODE_CACHE: path.join(blocked, 'cc') }, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
