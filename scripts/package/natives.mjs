// The optional native modules the executable loads from beside itself (src/native/optionalModule.ts):
// every optionalDependency of autoenroll that is installed here, with the packages it needs (its
// dependencies and its installed optionalDependencies: the part built for this platform), copied
// into <dest>/node_modules as npm laid them out.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { manifest, root } from './common.mjs';

function packageDir(name) {
  return path.join(root, 'node_modules', ...name.split('/'));
}

/** Installed optional modules and what they pull in, by package name. */
export function optionalModuleClosure() {
  const found = new Map();
  const visit = (name) => {
    if (found.has(name)) return;
    const dir = packageDir(name);
    if (!existsSync(path.join(dir, 'package.json'))) return;
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    found.set(name, { dir, version: pkg.version, license: pkg.license });
    for (const dependency of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) visit(dependency);
  };
  for (const name of Object.keys(manifest.optionalDependencies ?? {})) visit(name);
  return found;
}

/** Copies them into dest/node_modules; returns the names copied and the optional modules missing here. */
export function copyOptionalModules(dest) {
  const closure = optionalModuleClosure();
  for (const [name, { dir }] of closure) cpSync(dir, path.join(dest, 'node_modules', ...name.split('/')), { recursive: true });
  const missing = Object.keys(manifest.optionalDependencies ?? {}).filter((name) => !closure.has(name));
  return { copied: [...closure.keys()], missing };
}
