// The .deb without installing it on this host: unpacked with dpkg-deb -x (the executable runs and
// finds its keyring module in /usr/lib/autoenroll); systemd-analyze verify on the packaged unit;
// lintian; and dpkg -i / -r / -P into a throwaway root (dpkg --root, maintainer scripts run
// chrootless with DPKG_ROOT, the root's dpkg database seeded with this host's libc6, libgcc-s1 and
// libstdc++6 so the Depends are checked for real). With DEB_TEST_CHROOT=<debootstrapped folder>
// (.ci/run makes one when debootstrap is available; not an AUTOENROLL_ variable, which hooks would
// inherit) the same install runs with the maintainer scripts chrooted, as on a real host.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool } from '../helpers/tools.js';
import { packageDir, packagedBuild, run, startLab, version, writeLabConfig } from './support.js';
import type { RunningLab } from './support.js';

const built = packagedBuild();
const deb = built.info?.artifacts.deb ? path.join(packageDir, built.info.artifacts.deb.file) : undefined;
const PATH = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const hasLintian = hasTool('lintian', ['--version']);
const chroot = process.env.DEB_TEST_CHROOT;
if (!systemdAnalyze) console.warn('[skip] systemd-analyze is not installed: the packaged unit is not verified');
if (!hasLintian) console.warn('[skip] lintian is not installed (apt-get install lintian): the .deb is not linted');
if (!chroot) console.warn('[skip] DEB_TEST_CHROOT is not set: the chrooted dpkg install is skipped (the chrootless one runs)');

function dpkg(root: string, args: string[], chrootless = true) {
  return run('dpkg', [`--root=${root}`, ...(chrootless ? ['--force-script-chrootless'] : []), '--log=/dev/null', ...args], { env: PATH });
}

/** An empty root whose dpkg database knows this host's shared-library packages. */
function throwawayRoot(dir: string): string {
  const info = path.join(dir, 'var/lib/dpkg/info');
  mkdirSync(info, { recursive: true });
  mkdirSync(path.join(dir, 'var/lib/dpkg/updates'), { recursive: true });
  writeFileSync(path.join(dir, 'var/lib/dpkg/available'), '');
  const wanted = new Set(['libc6', 'libgcc-s1', 'libstdc++6', 'gcc-12-base']);
  const paragraphs = readFileSync('/var/lib/dpkg/status', 'utf8')
    .split(/\n\n+/)
    .filter((p) => wanted.has(/^Package: (.+)$/m.exec(p)?.[1] ?? '') && /^Architecture: (amd64|all)$/m.test(p));
  writeFileSync(path.join(dir, 'var/lib/dpkg/status'), `${paragraphs.join('\n\n')}\n\n`);
  for (const p of paragraphs) writeFileSync(path.join(info, `${/^Package: (.+)$/m.exec(p)![1]}:amd64.list`), '');
  return dir;
}

describe.skipIf(deb === undefined)('the .deb', () => {
  let work: string;
  let lab: RunningLab;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-deb-'));
    lab = await startLab([path.join(packageDir, 'autoenroll-linux-x64')], path.join(work, 'lab'));
  });
  afterAll(async () => {
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('has the control data, conffile and maintainer scripts', () => {
    const fields = run('dpkg-deb', ['-f', deb!], { env: PATH }).stdout;
    expect(fields).toContain('Package: autoenroll\n');
    expect(fields).toContain(`Version: ${version.replace('-', '~')}\n`);
    expect(fields).toContain('Architecture: amd64\n');
    expect(fields).toMatch(/^Depends: .*libc6 \(>= [0-9.]+\)/m);
    const control = path.join(work, 'control');
    expect(run('dpkg-deb', ['-e', deb!, control], { env: PATH }).status).toBe(0);
    expect(readFileSync(path.join(control, 'conffiles'), 'utf8')).toBe('/etc/autoenroll/config.yaml.example\n');
    for (const script of ['postinst', 'prerm', 'postrm']) expect(statSync(path.join(control, script)).mode & 0o777).toBe(0o755);
    const listing = run('dpkg-deb', ['-c', deb!], { env: PATH }).stdout;
    for (const file of ['./usr/bin/autoenroll', './lib/systemd/system/autoenroll.service', './etc/autoenroll/config.yaml.example', './usr/share/doc/autoenroll/copyright', './usr/lib/autoenroll/node_modules/@napi-rs/keyring/package.json']) {
      expect(listing).toContain(file);
    }
    expect(listing).not.toContain('./var/lib/autoenroll');
    // Man page and completions exactly when the build found them (scripts/package/extras.mjs).
    expect(listing.includes('./usr/share/man/man1/autoenroll.1.gz')).toBe(built.info!.extras.manPage);
    expect(listing.includes('bash-completion/completions/autoenroll')).toBe(built.info!.extras.completions.includes('bash'));
  });

  it('unpacked with dpkg-deb -x, /usr/bin/autoenroll runs and loads its keyring module from /usr/lib/autoenroll', () => {
    const root = path.join(work, 'unpacked');
    expect(run('dpkg-deb', ['-x', deb!, root], { env: PATH }).status).toBe(0);
    const exe = path.join(root, 'usr/bin/autoenroll');
    expect(run(exe, ['--version']).stdout).toBe(`${version}\n`);
    const keyring = run(exe, ['credentials', 'set', 'enroll'], { input: 'secret\n' });
    expect(keyring.stderr).toContain('D-Bus');
    expect(keyring.stderr).not.toContain('not installed beside');
  });

  it.skipIf(!systemdAnalyze)('systemd-analyze verify accepts the packaged unit', () => {
    const root = path.join(work, 'verify');
    expect(run('dpkg-deb', ['-x', deb!, root], { env: PATH }).status).toBe(0);
    const unit = readFileSync(path.join(root, 'lib/systemd/system/autoenroll.service'), 'utf8');
    expect(unit).toContain('\nExecStart=/usr/bin/autoenroll run --config /etc/autoenroll/config.yaml\n');
    expect(unit).toContain('\nConditionPathExists=/etc/autoenroll/config.yaml\n');
    expect(unit).toContain('\nProtectSystem=strict\n');
    // verify checks that the ExecStart binary exists: the unpacked one stands in for /usr/bin/autoenroll.
    const dir = mkdtempSync(path.join(work, 'unit-'));
    writeFileSync(path.join(dir, 'autoenroll.service'), unit.replace('ExecStart=/usr/bin/autoenroll ', `ExecStart=${root}/usr/bin/autoenroll `));
    const result = run(systemdAnalyze!, ['verify', path.join(dir, 'autoenroll.service')], { env: PATH });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasLintian)('lintian reports no error or warning', { timeout: 180_000 }, () => {
    const result = run('lintian', ['--fail-on', 'error,warning', deb!], { env: PATH, timeout: 170_000 });
    expect(result.stdout.split('\n').filter((line) => /^[EW]: /.test(line))).toEqual([]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('installs into a throwaway root; remove keeps state and keys, purge deletes them', { timeout: 120_000 }, () => {
    const root = throwawayRoot(path.join(work, 'root'));
    const install = dpkg(root, ['-i', deb!]);
    expect(install.status, install.stderr + install.stdout).toBe(0);
    expect(statSync(path.join(root, 'var/lib/autoenroll')).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(root, 'etc/autoenroll/config.yaml'))).toBe(false);
    const exe = path.join(root, 'usr/bin/autoenroll');
    expect(run(exe, ['--version']).stdout).toBe(`${version}\n`);
    // The installed agent enrolls with its state in the root's /var/lib/autoenroll.
    const config = writeLabConfig(path.join(root, 'etc/autoenroll'), lab.summary, path.join(root, 'var/lib/autoenroll'));
    const enroll = run(exe, ['--config', config, 'enroll']);
    expect(enroll.status, enroll.stderr).toBe(0);
    const keys = run('find', [path.join(root, 'var/lib/autoenroll'), '-name', 'key.pem'], { env: PATH }).stdout.trim();
    expect(keys).not.toBe('');

    const remove = dpkg(root, ['-r', 'autoenroll']);
    expect(remove.status, remove.stderr).toBe(0);
    expect(existsSync(exe)).toBe(false);
    expect(existsSync(path.join(root, 'lib/systemd/system/autoenroll.service'))).toBe(false);
    for (const key of keys.split('\n')) expect(existsSync(key)).toBe(true);
    expect(existsSync(config)).toBe(true);
    expect(existsSync(path.join(root, 'etc/autoenroll/config.yaml.example'))).toBe(true);

    const purge = dpkg(root, ['-P', 'autoenroll']);
    expect(purge.status, purge.stderr).toBe(0);
    expect(existsSync(path.join(root, 'var/lib/autoenroll'))).toBe(false);
    expect(existsSync(path.join(root, 'etc/autoenroll'))).toBe(false);
    expect(run('dpkg-query', [`--root=${root}`, '-W', 'autoenroll'], { env: PATH }).status).not.toBe(0);
  });

  it.skipIf(!chroot)('installs in a debootstrapped root with chrooted maintainer scripts', { timeout: 120_000 }, () => {
    const root = path.join(work, 'chroot');
    // cp -a: the root has device nodes and symlinks that must stay what they are.
    expect(run('cp', ['-a', chroot!, root], { env: PATH }).status).toBe(0);
    const install = dpkg(root, ['-i', deb!], false);
    expect(install.status, install.stderr + install.stdout).toBe(0);
    expect(statSync(path.join(root, 'var/lib/autoenroll')).mode & 0o777).toBe(0o700);
    expect(run('chroot', [root, '/usr/bin/autoenroll', '--version'], { env: PATH }).stdout).toBe(`${version}\n`);
    writeFileSync(path.join(root, 'var/lib/autoenroll/marker'), 'kept');
    expect(dpkg(root, ['-r', 'autoenroll'], false).status).toBe(0);
    expect(existsSync(path.join(root, 'usr/bin/autoenroll'))).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/autoenroll/marker'))).toBe(true);
    expect(dpkg(root, ['-P', 'autoenroll'], false).status).toBe(0);
    expect(existsSync(path.join(root, 'var/lib/autoenroll'))).toBe(false);
    expect(existsSync(path.join(root, 'etc/autoenroll'))).toBe(false);
  });
});
