// The single executable (dist/package/autoenroll-linux-x64) as a host without Node.js runs it: an
// empty environment (no PATH, no HOME), the lab started from the same executable, a real
// enrollment checked with openssl; the optional keyring module found beside it (or reported
// missing); the per-user code cache; `service install` naming the executable alone.
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOpenssl, hasTool, openssl } from '../helpers/tools.js';
import { packageDir, packagedBuild, run, startLab, version, writeLabConfig } from './support.js';
import type { RunningLab } from './support.js';

const built = packagedBuild();
const exe = path.join(packageDir, 'autoenroll-linux-x64');
const hasSecretService = hasTool('gnome-keyring-daemon', ['--version']) && hasTool('dbus-run-session', ['--version']);

describe.skipIf(built.reason !== undefined)('the single executable', () => {
  let work: string;
  let lab: RunningLab;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-exe-'));
    lab = await startLab([exe], path.join(work, 'lab'));
  });
  afterAll(async () => {
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints its version with an empty environment', () => {
    const result = run(exe, ['--version']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it.skipIf(!hasOpenssl)('enrolls against the lab it started, with an empty environment', () => {
    const config = writeLabConfig(path.join(work, 'agent'), lab.summary);
    const enroll = run(exe, ['--config', config, 'enroll']);
    expect(enroll.status, enroll.stderr).toBe(0);
    expect(enroll.stdout).toContain('web: VALID issued');
    const status = run(exe, ['--config', config, '--json', 'status']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([{ id: 'web', state: 'VALID', generation: 1 }]);
    const subject = openssl(['x509', '-in', path.join(work, 'agent/out/web.pem'), '-noout', '-subject', '-ext', 'subjectAltName']);
    expect(subject.stdout).toContain('subject=CN = web.package.test');
    expect(subject.stdout).toContain('DNS:web.package.test');
    const verify = openssl(['verify', '-CAfile', lab.summary.trust.caFile, '-untrusted', path.join(work, 'agent/out/chain.pem'), path.join(work, 'agent/out/web.pem')]);
    expect(verify.status, verify.stderr).toBe(0);
  });

  it.skipIf(!existsSync(path.join(packageDir, 'node_modules', 'kerberos')))('loads the kerberos module from beside itself; names what to install where it is not', () => {
    const dir = path.join(work, 'kerberos');
    mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, `stateDir: ${dir}/state\npolicyServers:\n  - url: https://127.0.0.1:9/CEP\n    auth: kerberos\n    kerberos: { keytab: ${dir}/absent.keytab, principal: HOST$ }\n`);
    // Loaded: the failure is the absent keytab, not the module.
    const loaded = run(exe, ['--config', config, 'policy']);
    expect(loaded.status).toBe(4);
    expect(loaded.stderr).toContain('KERBEROS_KEYTAB_MISSING');
    const alone = path.join(dir, 'bin');
    mkdirSync(alone, { recursive: true });
    linkSync(exe, path.join(alone, 'autoenroll'));
    const missing = run(path.join(alone, 'autoenroll'), ['--config', config, 'policy']);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toContain('KERBEROS_MODULE_MISSING');
    expect(missing.stderr).toContain(`npm install --prefix ${path.join(dir, 'lib/autoenroll')} kerberos`);
    expect(missing.stderr).toContain('libkrb5-dev');
  });

  it('loads the keyring module from beside itself (a symlink to it too); reports it missing where it is not', () => {
    expect(readdirSync(path.join(packageDir, 'node_modules', '@napi-rs'))).toContain('keyring');
    // Loaded: the failure is the missing Secret Service, not the module.
    const link = path.join(work, 'autoenroll-link');
    symlinkSync(exe, link);
    for (const file of [exe, link]) {
      const loaded = run(file, ['credentials', 'set', 'enroll'], { input: 'secret\n' });
      expect(loaded.status).toBe(4);
      expect(loaded.stderr).toContain('SECRET_KEYRING_UNAVAILABLE');
      expect(loaded.stderr).toContain('D-Bus');
      expect(loaded.stderr).not.toContain('not installed beside');
    }
    // A copy (hard link) elsewhere has nothing beside it.
    const dir = path.join(work, 'alone');
    const alone = path.join(dir, 'bin');
    mkdirSync(alone, { recursive: true });
    linkSync(exe, path.join(alone, 'autoenroll'));
    const missing = run(path.join(alone, 'autoenroll'), ['credentials', 'set', 'enroll'], { input: 'secret\n' });
    expect(missing.status).toBe(4);
    expect(missing.stderr).toContain('SECRET_KEYRING_UNAVAILABLE');
    expect(missing.stderr).toContain(`looked in ${path.join(alone, 'node_modules/@napi-rs/keyring')} and ${path.join(dir, 'lib/autoenroll/node_modules/@napi-rs/keyring')}`);
    expect(missing.stderr).toContain(`npm install --prefix ${path.join(dir, 'lib/autoenroll')} @napi-rs/keyring`);
    expect(missing.stderr).not.toContain('secret');
  });

  it.skipIf(!hasSecretService)('stores a password in a real Secret Service through the module beside it', () => {
    const home = mkdtempSync(path.join(work, 'home-'));
    const script = `echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; printf 'p@ss\\n' | "${exe}" --json credentials set enroll`;
    const result = run('dbus-run-session', ['--', 'sh', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: home, XDG_DATA_HOME: path.join(home, 'data') } });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('{"stored":true,"service":"autoenroll","account":"enroll"}');
  });

  it('keeps a per-user code cache when it has a home, and runs the same without one', () => {
    const home = mkdtempSync(path.join(work, 'home-'));
    for (let i = 0; i < 2; i++) expect(run(exe, ['--version'], { env: { HOME: home } }).stdout).toBe(`${version}\n`);
    const caches = readdirSync(path.join(home, '.cache/autoenroll/code-cache'));
    expect(caches).toHaveLength(1);
    expect(caches[0]).toMatch(/^[0-9a-f]{16}-v8-.*-x64-default\.bin$/);
  });

  it('service install renders a unit that starts the executable itself', () => {
    const config = writeLabConfig(path.join(work, 'service'), lab.summary);
    const unitDir = path.join(work, 'units');
    const result = run(exe, ['--config', config, 'service', 'install', '--unit-dir', unitDir]);
    expect(result.status, result.stderr).toBe(0);
    const unit = readFileSync(path.join(unitDir, 'autoenroll.service'), 'utf8');
    expect(unit).toContain(`\nExecStart=${exe} run --config ${config}\n`);
  });
});
