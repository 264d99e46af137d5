#!/usr/bin/env node
// Launcher: the CLI ships as an esbuild bundle in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('autoenroll: dist/main.js is missing; run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await import(entry.href);
