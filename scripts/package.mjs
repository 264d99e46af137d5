// `npm run package` (after `npm run build`): writes into dist/package/
//   autoenroll-linux-x64               one executable, no Node.js needed on the host (package/executable.mjs)
//   node_modules/                      the optional native modules it loads from beside itself
//   autoenroll_<version>_amd64.deb     (package/deb.mjs; needs dpkg-deb and dpkg-shlibdeps)
//   autoenroll-<version>-linux-x64.tar.gz   (package/tarball.mjs)
//   build-info.json                    what was built from which bundle, sizes and step durations
// Linux x64 only: the executable is this node binary with the CLI injected.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasCommand, log, names, root, seconds, version } from './package/common.mjs';
import { buildDeb } from './package/deb.mjs';
import { buildExecutable } from './package/executable.mjs';
import { collectExtras } from './package/extras.mjs';
import { copyOptionalModules } from './package/natives.mjs';
import { buildTarball } from './package/tarball.mjs';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  log(`the packages are built on Linux x64 (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
const out = path.join(root, 'dist', 'package');
const bundle = path.join(root, 'dist', 'cli.cjs');
if (!existsSync(bundle)) {
  log('dist/cli.cjs is missing: run `npm run build` first');
  process.exit(1);
}

const started = performance.now();
const durations = {};
const step = async (name, fn) => {
  const t = performance.now();
  const result = await fn();
  durations[name] = Math.round(performance.now() - t);
  log(`${name}: ${seconds(t)}`);
  return result;
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true });
const work = mkdtempSync(path.join(root, 'node_modules', '.cache', 'autoenroll-package-'));
const info = { version, bundleSha256: createHash('sha256').update(readFileSync(bundle)).digest('hex'), artifacts: {}, skipped: {}, durationsMs: durations };
try {
  const executable = await step('executable', () => buildExecutable({ out, work, executableName: names.executable }));
  info.artifacts.executable = { file: names.executable, bytes: statSync(executable).size };
  const natives = copyOptionalModules(out);
  info.nativeModules = natives.copied;
  if (natives.missing.length > 0) log(`optional modules not installed here, so not packaged: ${natives.missing.join(', ')}`);

  const extras = collectExtras({ root, executable });
  for (const note of extras.notes) log(note);
  info.extras = { manPage: extras.manPage !== null, completions: extras.completions.map((c) => c.shell), notes: extras.notes };

  if (hasCommand('dpkg-deb') && hasCommand('dpkg-shlibdeps', ['--help'])) {
    const { deb } = await step('deb', () => buildDeb({ out, work, executable, extras }));
    info.artifacts.deb = { file: path.basename(deb), bytes: statSync(deb).size };
  } else {
    info.skipped.deb = 'dpkg-deb or dpkg-shlibdeps is not installed (apt-get install dpkg-dev)';
    log(`no .deb: ${info.skipped.deb}`);
  }
  const tarball = await step('tarball', () => buildTarball({ out, work, executable, extras }));
  info.artifacts.tarball = { file: path.basename(tarball), bytes: statSync(tarball).size };
} finally {
  rmSync(work, { recursive: true, force: true });
}
durations.total = Math.round(performance.now() - started);
writeFileSync(path.join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
for (const [kind, artifact] of Object.entries(info.artifacts)) log(`${kind}: dist/package/${artifact.file} (${(artifact.bytes / 1024 / 1024).toFixed(1)} MiB)`);
log(`done in ${seconds(started)}`);
