// Runs every bench/*.ts module (each exports `run(args): Promise<BenchResult[]>`), prints a table and
// exits non-zero when a median exceeds its budget or a result says it failed.
// Usage: npm run bench [-- name-filter [options for that bench]], e.g. npm run bench -- fleet --hosts 10000 --json
// With --json a bench prints its own JSON document on stdout and the table goes to stderr.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const filter = process.argv[2];
const benchArgs = process.argv.slice(3);
const print = benchArgs.includes('--json') ? console.error : console.log;
const files = readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'types.ts' && (!filter || f.includes(filter)));
mkdirSync('node_modules/.cache', { recursive: true });
// Inside the repository so that bundled benches resolve the external packages from node_modules.
const outdir = mkdtempSync(join('node_modules/.cache', 'autoenroll-bench-'));
let failed = false;
try {
  await build({
    entryPoints: files.map((f) => join('bench', f)),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  for (const file of files) {
    const mod = await import(pathToFileURL(join(outdir, file.replace(/\.ts$/, '.js'))).href);
    const results = await mod.run(benchArgs);
    for (const r of results) {
      const over = r.budgetMs !== undefined && r.medianMs > r.budgetMs;
      failed ||= over || r.failed !== undefined;
      const budget = r.budgetMs !== undefined ? ` (budget ${r.budgetMs} ms${over ? ', OVER' : ''})` : '';
      print(`${file.padEnd(24)} ${r.name.padEnd(56)} median ${r.medianMs.toFixed(2).padStart(9)} ms${budget}${r.note ? `  ${r.note}` : ''}`);
    }
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
