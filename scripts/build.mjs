// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so each command
// loads only the modules it needs (start-up cost is measured in bench/cli.ts, figures in
// BENCHMARKS.md). Minified (names kept: error classes report their own names) because V8's
// compile time of the chunks grows with their size; on Node ≥ 22.1 the V8 compile cache is
// switched on for the command chunks loaded after start (no-op on Node 20).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const outdir = new URL('../dist/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/entry.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js:
      "import { createRequire as __aeCreateRequire } from 'node:module'; import * as __aeModule from 'node:module'; const require = __aeCreateRequire(import.meta.url); try { __aeModule.enableCompileCache?.(); } catch {}",
  },
  external: ['@napi-rs/keyring'],
  define: { __AUTOENROLL_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  logLevel: 'warning',
});
