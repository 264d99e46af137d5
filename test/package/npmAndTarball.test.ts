// The npm package and the tarball as their users get them: `npm pack` of this checkout installed
// with `npm install -g` into a temporary prefix (no install scripts, no bundled dependencies
// downloaded, only the optional native modules), run with the lab; the tarball's contents and its
// executable, which finds the keyring module beside it. And the man page / completions discovery
// when they are absent, present, or listed but broken.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir, packagedBuild, repo, run, startLab, version, writeLabConfig } from './support.js';
import type { RunningLab } from './support.js';

const built = packagedBuild();
const PATH = { PATH: `${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin` };

describe('man page and completions discovery (scripts/package/extras.mjs)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'autoenroll-extras-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const load = async () => (await import(pathToFileURL(path.join(repo, 'scripts/package/extras.mjs')).href)) as {
    collectExtras: (o: { root: string; executable: string }) => { manPage: string | null; completions: { shell: string; path: string }[]; notes: string[] };
  };
  const fake = (name: string, script: string) => {
    const file = path.join(work, name);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    return file;
  };

  it('leaves out what does not exist, and says so', async () => {
    const { collectExtras } = await load();
    const exe = fake('no-completion', 'echo "Commands:"; echo "  status   one row"');
    const extras = collectExtras({ root: path.join(work, 'empty'), executable: exe });
    expect(extras).toMatchObject({ manPage: null, completions: [] });
    expect(extras.notes.join('\n')).toContain('no man page');
    expect(extras.notes.join('\n')).toContain('no `autoenroll completion` command');
  });

  it('takes the man page and every shell completion once they exist', async () => {
    const { collectExtras } = await load();
    const root = path.join(work, 'repo');
    mkdirSync(path.join(root, 'man'), { recursive: true });
    writeFileSync(path.join(root, 'man/autoenroll.1'), '.TH AUTOENROLL 1\n');
    const exe = fake('with-completion', 'if [ "$1" = completion ]; then echo "# $2 completion"; else echo "Commands:"; echo "  completion <shell>  print a completion script"; fi');
    const extras = collectExtras({ root, executable: exe });
    expect(extras.manPage).toBe(path.join(root, 'man/autoenroll.1'));
    expect(extras.completions.map((c) => [c.shell, c.path])).toEqual([
      ['bash', 'usr/share/bash-completion/completions/autoenroll'],
      ['zsh', 'usr/share/zsh/vendor-completions/_autoenroll'],
      ['fish', 'usr/share/fish/vendor_completions.d/autoenroll.fish'],
    ]);
  });

  it('stops the build when a listed completion command fails', async () => {
    const { collectExtras } = await load();
    const exe = fake('broken-completion', 'if [ "$1" = completion ]; then exit 3; else echo "  completion <shell>"; fi');
    expect(() => collectExtras({ root: work, executable: exe })).toThrow(/completion bash is listed by --help but exited 3/);
  });
});

describe.skipIf(built.reason !== undefined)('npm pack and the tarball', () => {
  let work: string;
  let lab: RunningLab;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-npm-'));
    lab = await startLab([path.join(packageDir, 'autoenroll-linux-x64')], path.join(work, 'lab'));
  });
  afterAll(async () => {
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('npm install -g of the packed tarball installs a built CLI with no install script, and it enrolls', { timeout: 180_000 }, () => {
    // npm pack of a copy of this checkout's packed parts: the real prepack would rebuild dist/
    // under the tests running beside this one; here it only rewrites the manifest (the build it
    // runs first is `npm run build`, already done).
    const checkout = path.join(work, 'checkout');
    for (const part of ['package.json', 'README.md', 'bin', 'dist', 'service', 'scripts/pack-manifest.mjs']) {
      cpSync(path.join(repo, part), path.join(checkout, part), { recursive: true, filter: (source) => !source.startsWith(packageDir) });
    }
    const repoManifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(repoManifest.scripts.prepack).toBe('node scripts/build.mjs && node scripts/pack-manifest.mjs strip');
    writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ ...repoManifest, scripts: { ...repoManifest.scripts, prepack: 'node scripts/pack-manifest.mjs strip', prepare: 'exit 0' } }, null, 2));
    const before = readFileSync(path.join(checkout, 'package.json'), 'utf8');
    const npmEnv = { ...process.env, npm_config_cache: path.join(work, 'npm-cache') };
    const pack = run('npm', ['pack', '--json', '--pack-destination', work], { env: npmEnv, cwd: checkout, timeout: 170_000 });
    expect(pack.status, pack.stderr).toBe(0);
    expect(readFileSync(path.join(checkout, 'package.json'), 'utf8')).toBe(before);
    const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    expect(filename).toBe(`autoenroll-${version}.tgz`);
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/cli.cjs');
    expect(paths).toContain('bin/autoenroll.js');
    expect(paths.filter((p) => p.startsWith('dist/package') || p.startsWith('src/') || p.startsWith('scripts/'))).toEqual([]);

    const prefix = path.join(work, 'prefix');
    const install = run('npm', ['install', '-g', '--prefix', prefix, path.join(work, filename)], { env: npmEnv, cwd: work, timeout: 170_000 });
    expect(install.status, install.stderr).toBe(0);
    // The only install scripts are the native builds of the optional kerberos and pkcs11js modules (npm lists them for approval).
    const scripted = install.stderr.split('\n').filter((line) => /install-scripts\s+\S+@\S+ \(/.test(line));
    expect(scripted.map((line) => /install-scripts\s+(\S+)@/.exec(line)?.[1]).sort()).toEqual(scripted.length > 0 ? ['kerberos', 'pkcs11js'] : []);
    expect(install.stderr).not.toMatch(/install-scripts\s+autoenroll@/);
    const installed = path.join(prefix, 'lib/node_modules/autoenroll');
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies?: unknown };
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(path.join(installed, 'node_modules'))).toEqual(expect.arrayContaining(['@napi-rs', 'kerberos']));

    const cli = path.join(prefix, 'bin/autoenroll');
    expect(run(cli, ['--version'], { env: PATH }).stdout).toBe(`${version}\n`);
    const config = writeLabConfig(path.join(work, 'agent'), lab.summary);
    const enroll = run(cli, ['--config', config, 'enroll'], { env: PATH });
    expect(enroll.status, enroll.stderr).toBe(0);
    expect(enroll.stdout).toContain('web: VALID issued');
  });

  it('the tarball holds the executable, unit, example, README and keyring module, and its executable runs', () => {
    const tarball = path.join(packageDir, built.info!.artifacts.tarball!.file);
    expect(path.basename(tarball)).toBe(`autoenroll-${version}-linux-x64.tar.gz`);
    const dir = `autoenroll-${version}-linux-x64`;
    const listing = run('tar', ['-tzf', tarball], { env: PATH }).stdout.split('\n');
    for (const file of ['autoenroll', 'autoenroll.service', 'config.example.yaml', 'README.md', 'THIRD-PARTY.txt', 'node_modules/@napi-rs/keyring/package.json']) expect(listing).toContain(`${dir}/${file}`);
    expect(listing.includes(`${dir}/autoenroll.1`)).toBe(built.info!.extras.manPage);
    expect(run('tar', ['-xzf', tarball, '-C', work], { env: PATH }).status).toBe(0);
    const exe = path.join(work, dir, 'autoenroll');
    expect(run(exe, ['--version']).stdout).toBe(`${version}\n`);
    expect(readFileSync(path.join(work, dir, 'autoenroll.service'), 'utf8')).toContain('\nExecStart=/usr/local/bin/autoenroll run --config /etc/autoenroll/config.yaml\n');
    const keyring = run(exe, ['credentials', 'set', 'enroll'], { input: 'x\n' });
    expect(keyring.stderr).toContain('D-Bus');
  });

  it('the example configuration validates once its files exist', () => {
    const dir = path.join(work, 'example');
    mkdirSync(dir, { recursive: true });
    const example = readFileSync(path.join(repo, 'packaging/config.example.yaml'), 'utf8').replaceAll('/var/lib/autoenroll', path.join(dir, 'state')).replaceAll('/etc/autoenroll/', `${dir}/`);
    writeFileSync(path.join(dir, 'config.yaml'), example);
    writeFileSync(path.join(dir, 'ca.pem'), readFileSync(lab.summary.trust.caFile));
    writeFileSync(path.join(dir, 'enrollment-password'), 'secret\n', { mode: 0o600 });
    const result = run(path.join(packageDir, 'autoenroll-linux-x64'), ['--config', path.join(dir, 'config.yaml'), 'config', 'validate']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});
