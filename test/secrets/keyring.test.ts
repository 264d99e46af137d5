// The keyring path against a real Secret Service: gnome-keyring-daemon inside a private D-Bus
// session started for the test (never the user's own keyring).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool } from '../helpers/tools.js';

const hasSecretService = hasTool('gnome-keyring-daemon', ['--version']) && hasTool('dbus-run-session', ['--version']);
if (!hasSecretService) console.warn('[skip] gnome-keyring-daemon or dbus-run-session is not installed: the real keyring test is skipped (apt-get install gnome-keyring dbus)');

describe('OS keyring', () => {
  let work: string;
  let child: string;
  let bundleDir: string;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-keyring-'));
    // Inside the repository so that the bundle's bare imports (yaml, valibot, @napi-rs/keyring) resolve.
    const cache = path.resolve(__dirname, '../../node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    bundleDir = mkdtempSync(path.join(cache, 'autoenroll-keyring-'));
    child = path.join(bundleDir, 'keyringChild.mjs');
    await build({ entryPoints: [path.join(__dirname, 'keyringChild.ts')], outfile: child, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => {
    const base: NodeJS.ProcessEnv = { ...process.env, HOME: work, XDG_DATA_HOME: path.join(work, 'data'), XDG_RUNTIME_DIR: work, ...extra };
    delete base.DBUS_SESSION_BUS_ADDRESS;
    return base;
  };

  it.skipIf(!hasSecretService)('stores with `credentials set` and resolves { keyring } from a real Secret Service', () => {
    const script = `echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "${process.execPath}" "${child}" roundtrip "${work}"`;
    const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { encoding: 'utf8', env: env(), timeout: 25_000, cwd: work });
    expect(result.status, result.stderr).toBe(0);
    const r = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(r.set).toMatchObject({ code: 0, out: '{"stored":true,"service":"autoenroll","account":"enroll"}\n' });
    expect(r.set.err).toBe('');
    expect(r.value).toBe('p@ss w0rd!');
    expect(r.replaced).toBe(0);
    expect(r.valueAfterReplace).toBe('second');
    expect(r.missing).toMatchObject({ code: 'SECRET_KEYRING_MISSING', message: expect.stringContaining('autoenroll credentials set nobody') });
    expect(r.validate.code).toBe(0);
    expect(r.validate.out).toContain('ok             policyServers[0].password ← keyring:enroll');
    expect(r.validate.out + r.validate.err).not.toContain('second');
    expect(r.deleted).toBe(true);
    expect(r.afterDelete).toMatchObject({ code: 'SECRET_KEYRING_MISSING' });
  });

  it('fails with a clear credential error when no Secret Service can be reached', () => {
    const result = spawnSync(process.execPath, [child, 'absent', work], { encoding: 'utf8', env: env(), timeout: 25_000 });
    expect(result.status, result.stderr).toBe(0);
    const r = JSON.parse(result.stdout.trim());
    expect(['SECRET_KEYRING_MISSING', 'SECRET_KEYRING_UNAVAILABLE']).toContain(r.read.code);
    expect(r.read.message).toContain('D-Bus');
    expect(r.set.code).toBe(4);
    expect(r.set.err).toContain('SECRET_KEYRING_UNAVAILABLE');
    expect(r.set.err).not.toContain('pw');
  });
});
