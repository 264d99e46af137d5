// The package.json that `npm pack` / `npm publish` put in the tarball differs from the repository's
// in two ways, so that `npm install -g ./autoenroll-<version>.tgz` installs a built CLI and nothing else:
// - no "prepare" script: a clone builds dist/ with it on `npm ci`, but in an installed package it
//   would be an install-time build (npm lists it among the install scripts to allow) with neither
//   scripts/ nor the dev dependencies present;
// - no "dependencies": esbuild bundles every one of them into dist/ (scripts/build.mjs), so an
//   installation would download them for nothing. The optional native modules stay
//   (optionalDependencies), since they are loaded at run time (src/native/optionalModule.ts).
// `strip` (prepack) saves the repository's file and writes the packed one; `restore` (postpack)
// puts the saved file back byte for byte. A strip that finds a saved file (a pack that died before
// its postpack) restores it first.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifestFile = path.join(root, 'package.json');
const saved = path.join(root, 'node_modules', '.cache', 'autoenroll-pack', 'package.json');

function restore() {
  if (existsSync(saved)) renameSync(saved, manifestFile);
}

/** The manifest as packed, from the repository's. */
export function packedManifest(manifest) {
  const packed = structuredClone(manifest);
  if (packed.scripts) delete packed.scripts.prepare;
  delete packed.dependencies;
  return packed;
}

const verb = process.argv[2];
if (verb === 'strip') {
  restore();
  const text = readFileSync(manifestFile, 'utf8');
  mkdirSync(path.dirname(saved), { recursive: true });
  writeFileSync(saved, text);
  writeFileSync(manifestFile, `${JSON.stringify(packedManifest(JSON.parse(text)), null, 2)}\n`);
} else if (verb === 'restore') {
  restore();
} else if (verb !== undefined) {
  process.stderr.write(`pack-manifest: unknown verb ${verb} (strip | restore)\n`);
  process.exit(2);
}
