// The optional native modules the executable loads from beside itself (src/native/optionalModule.ts):
// every optionalDependency of autoenroll that is installed here, with the packages it needs (its
// dependencies and its installed optionalDependencies: the part built for this platform), copied
// into <dest>/node_modules as npm laid them out. A module built from source here (binding.gyp) needs
// none of its dependencies at run time (headers such as node-addon-api, downloaders such as
// prebuild-install): only its JavaScript and build/Release/*.node are copied, the addon stripped and
// not executable (a shared library, as Debian policy wants it).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
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
    const builtHere = existsSync(path.join(dir, 'binding.gyp'));
    found.set(name, { dir, version: pkg.version, license: pkg.license, builtHere });
    if (builtHere) return;
    for (const dependency of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) visit(dependency);
  };
  for (const name of Object.keys(manifest.optionalDependencies ?? {})) visit(name);
  return found;
}

/** Copies them into dest/node_modules; returns the names copied and the optional modules missing here. */
export function copyOptionalModules(dest) {
  const closure = optionalModuleClosure();
  for (const [name, { dir, builtHere }] of closure) {
    const target = path.join(dest, 'node_modules', ...name.split('/'));
    cpSync(dir, target, { recursive: true, filter: (source) => !builtHere || keepOfSourceBuild(path.relative(dir, source)) });
    if (builtHere) for (const addon of addonsUnder(target)) finishAddon(addon);
  }
  const missing = Object.keys(manifest.optionalDependencies ?? {}).filter((name) => !closure.has(name));
  return { copied: [...closure.keys()], missing };
}

/** What a module built from source needs at run time: its JavaScript, manifest, licence and the built addon. */
function keepOfSourceBuild(relative) {
  if (relative === '') return true;
  const parts = relative.split(path.sep);
  if (parts[0] === 'build') return parts.length === 1 || (parts[1] === 'Release' && (parts.length === 2 || (parts.length === 3 && parts[2].endsWith('.node'))));
  if (parts[0] === 'src' || parts[0] === 'deps' || parts[0] === 'node_modules') return false;
  return !/^\.|\.(gyp|gypi|cc|cpp|h|hpp|c|md|ts|map)$/.test(parts[parts.length - 1]) || /^(LICENSE|README)/i.test(parts[parts.length - 1]);
}

function addonsUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.node'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

function finishAddon(file) {
  const stripped = spawnSync('strip', ['--strip-unneeded', file], { stdio: 'ignore' });
  if (stripped.error === undefined && stripped.status !== 0) throw new Error(`strip --strip-unneeded ${file} failed`);
  chmodSync(file, 0o644);
}
