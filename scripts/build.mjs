// Bundles the CLI with esbuild (start-up cost is measured in bench/cli.ts, figures in BENCHMARKS.md):
// - dist/cli.cjs: the whole CLI as one CommonJS file, which dist/main.js compiles through node:vm
//   with a per-command V8 code cache (src/cli/codeCache.ts). Node 20 has no compile cache for ES
//   modules; for CommonJS compiled by node:vm it has one, on every Node version.
// - dist/esm/: the same entry as split ES modules (each command loads only the chunks it needs),
//   used where no private cache folder is available and for the long-running commands.
// - dist/main.js: the launcher choosing between the two (src/cli/launch.ts).
// Minified (names kept: error classes report their own names) because V8's compile time grows
// with the size of the source.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// AUTOENROLL_BUILD_OUT=/some/dir/ builds elsewhere (benchmarks of a change without touching the shared dist/).
const outdir = process.env.AUTOENROLL_BUILD_OUT ? `${process.env.AUTOENROLL_BUILD_OUT.replace(/\/$/, '')}/` : new URL('../dist/', import.meta.url).pathname;
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
// Node built-in modules that packages load at start-up but the CLI never uses on that path, each ≈ 3–5 ms
// of every start (BENCHMARKS.md, "CLI start-up"):
// - node:http2 in undici's HTTP/2 client: our connector offers ALPN http/1.1 only, so undici never
//   speaks HTTP/2. The stand-in throws, which takes undici's own "no http2 in this runtime" branch.
// - node:child_process in commander: used only to run external `<name>-<command>` executables,
//   which the CLI does not have; loaded on first use instead.
const unusedBuiltins = {
  name: 'unused-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(http2|child_process)$/ }, (args) => {
      if (args.path === 'node:http2' && /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/.test(args.importer)) return { path: 'http2', namespace: 'unused-builtin' };
      if (args.path === 'node:child_process' && /commander[\\/]lib[\\/]command\.js$/.test(args.importer)) return { path: 'child_process', namespace: 'unused-builtin' };
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'unused-builtin' }, (args) => ({
      contents:
        args.path === 'http2'
          ? "throw new Error('HTTP/2 is not used: the connector offers ALPN http/1.1 only');"
          : "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // AUTOENROLL_BUILD_MINIFY=off: readable frames in CPU profiles (benchmarks only).
  minify: process.env.AUTOENROLL_BUILD_MINIFY !== 'off',
  keepNames: true,
  legalComments: 'none',
  // Optional native modules are loaded at run time by src/native/optionalModule.ts, never bundled.
  external: ['@napi-rs/keyring', 'kerberos', 'pkcs11js'],
  define: { __AUTOENROLL_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  plugins: [unusedBuiltins],
};

// dist/package/ (npm run package) is left alone: a rebuild of the bundle does not remove the packages.
if (existsSync(outdir)) for (const name of readdirSync(outdir)) if (name !== 'package') rmSync(`${outdir}${name}`, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { cli: 'src/cli/entry.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // import.meta.url for the modules that locate files beside the bundle (service.ts).
  define: { ...common.define, 'import.meta.url': '__aeImportMetaUrl' },
  banner: { js: "var __aeImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({
  ...common,
  entryPoints: { main: 'src/cli/entry.ts' },
  outdir: `${outdir}esm/`,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js:
      "import { createRequire as __aeCreateRequire } from 'node:module'; import * as __aeModule from 'node:module'; const require = __aeCreateRequire(import.meta.url); try { __aeModule.enableCompileCache?.(); } catch {}",
  },
});
// The code cache is only valid for the exact bundle: its name carries this build's digest.
const buildId = createHash('sha256').update(readFileSync(`${outdir}cli.cjs`)).digest('hex').slice(0, 16);
await build({
  ...common,
  entryPoints: { main: 'src/cli/launch.ts' },
  outdir,
  format: 'esm',
  define: { ...common.define, __AUTOENROLL_BUILD_ID__: JSON.stringify(buildId) },
});

// dist/man/autoenroll.1: the man page, made from the same command definitions as --help
// (src/cli/help/manPage.ts); the packages ship it. Its date: SOURCE_DATE_EPOCH, else the last commit's.
const manDate = (() => {
  if (process.env.SOURCE_DATE_EPOCH) return new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString().slice(0, 10);
  try {
    return execFileSync('git', ['log', '-1', '--format=%cs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || new Date().toISOString().slice(0, 10);
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
})();
const manTool = `${outdir}man/render-man-page.mjs`;
await build({ ...common, sourcemap: false, entryPoints: [new URL('../src/cli/help/renderManPage.ts', import.meta.url).pathname], outfile: manTool, format: 'esm', banner: { js: "import { createRequire as __aeCreateRequire } from 'node:module'; const require = __aeCreateRequire(import.meta.url);" } });
const { renderManPage } = await import(pathToFileURL(manTool).href);
mkdirSync(`${outdir}man`, { recursive: true });
writeFileSync(`${outdir}man/autoenroll.1`, renderManPage(manDate));
rmSync(manTool, { force: true });
