// Bundles the CLI with esbuild: one ESM entry plus lazily loaded chunks, so each command
// loads only the modules it needs (start-up cost is measured in bench/).
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
  minifyWhitespace: false,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __aeCreateRequire } from 'node:module'; const require = __aeCreateRequire(import.meta.url);",
  },
  external: ['@napi-rs/keyring'],
  define: { __AUTOENROLL_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  logLevel: 'warning',
});
