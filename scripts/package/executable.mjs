// The single executable: Node's single-executable application support (node --experimental-sea-config,
// then postject injects the blob into a copy of this node binary). Its main script is
// src/cli/seaLaunch.ts; the CLI bundle dist/cli.cjs and package-time V8 code caches ride along as
// assets. Start-up figures of the variants tried (code cache, snapshot) are in BENCHMARKS.md.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasCommand, log, root, run, version } from './common.mjs';

// The sentinel Node's binary carries for an injected blob (the same in every Node version with SEA).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The V8 flag sets the launchers use (src/cli/bundleScript.ts): one embedded code cache each. */
const FLAG_SETS = [[], ['--liftoff-only']];

function assetName(flags) {
  // Same rule as embeddedCodeCacheName() in src/cli/seaLaunch.ts.
  return `code-cache-${flags.length === 0 ? 'default' : flags.map((f) => f.replace(/^-+/, '')).join('_')}.bin`;
}

/**
 * A V8 code cache for dist/cli.cjs under `flags`, made by running `autoenroll --version` from the
 * bundle in a child of this node (the same binary the executable is made of, so V8 accepts it),
 * then checked: compiled again with it, V8 must not reject it.
 */
async function makeCodeCaches(work, bundle) {
  const driver = path.join(work, 'code-cache-driver.mjs');
  await build({
    stdin: {
      contents: `
        import { readFileSync, writeFileSync } from 'node:fs';
        import { createRequire } from 'node:module';
        import path from 'node:path';
        import { setFlagsFromString } from 'node:v8';
        import { compileBundle, runBundle } from './src/cli/bundleScript.ts';
        const [bundle, out, ...flags] = process.argv.slice(2);
        if (flags.length > 0) setFlagsFromString(flags.join(' '));
        process.argv = [process.argv[0], 'autoenroll', '--version'];
        const source = readFileSync(bundle, 'utf8');
        const script = compileBundle(source, bundle, undefined);
        const code = await runBundle(script, createRequire(bundle), bundle, path.dirname(bundle));
        if (code !== 0) throw new Error('autoenroll --version exited ' + code);
        const data = script.createCachedData();
        if (compileBundle(source, bundle, data).cachedDataRejected) throw new Error('V8 rejected the code cache it just made');
        writeFileSync(out, data);
      `,
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'code-cache-driver.ts',
    },
    outfile: driver,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const assets = {};
  for (const flags of FLAG_SETS) {
    const file = path.join(work, assetName(flags));
    run(process.execPath, [driver, bundle, file, ...flags], { cwd: work, env: { PATH: process.env.PATH ?? '' } });
    assets[assetName(flags)] = file;
  }
  return assets;
}

/** Builds dist/package/<executable>; returns its path. */
export async function buildExecutable({ out, work, executableName }) {
  const bundle = path.join(root, 'dist', 'cli.cjs');
  if (!existsSync(bundle)) throw new Error('dist/cli.cjs is missing: run `npm run build` first');
  // The per-user code cache files are named for the bundle's digest, as in scripts/build.mjs.
  const buildId = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 16);
  const main = path.join(work, 'sea-main.cjs');
  await build({
    entryPoints: [path.join(root, 'src/cli/seaLaunch.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    define: { __AUTOENROLL_BUILD_ID__: JSON.stringify(buildId), __AUTOENROLL_VERSION__: JSON.stringify(version) },
    logLevel: 'warning',
  });
  const assets = { 'cli.cjs': bundle, ...(await makeCodeCaches(work, bundle)) };
  const blob = path.join(work, 'sea-prep.blob');
  const config = path.join(work, 'sea-config.json');
  // useCodeCache: for the small launcher only (the bundle has its own caches); useSnapshot is not
  // used: measured no faster here (BENCHMARKS.md, "Packages").
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }, null, 2));
  run(process.execPath, ['--experimental-sea-config', config], { cwd: work });

  mkdirSync(out, { recursive: true });
  const executable = path.join(out, executableName);
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  // Node's binary carries its debug symbols (≈ 12 MB here): strip them before the blob goes in.
  if (hasCommand('strip')) run('strip', ['--strip-all', executable]);
  else log('strip (binutils) is not installed: the executable keeps its debug symbols');
  run(process.execPath, [path.join(root, 'node_modules/postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  const check = run(executable, ['--version'], { env: {} });
  if (check.stdout.trim() !== version) throw new Error(`the executable printed "${check.stdout.trim()}" for --version, expected ${version}`);
  return executable;
}
