// Shared by the package steps (scripts/package.mjs): where things are, running tools, logging.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
export const version = manifest.version;

/** Names of the artifacts in dist/package/ (../shared/docs/cli.md, "Packages"). */
export const names = {
  executable: 'autoenroll-linux-x64',
  deb: (debVersion) => `autoenroll_${debVersion}_amd64.deb`,
  tarball: `autoenroll-${version}-linux-x64.tar.gz`,
  tarballDir: `autoenroll-${version}-linux-x64`,
};

/** Debian version of the npm version: a pre-release `-rc.1` sorts before the release as `~rc.1`. */
export function debianVersion(npmVersion) {
  return npmVersion.replace('-', '~');
}

export function log(message) {
  process.stderr.write(`package: ${message}\n`);
}

/** Runs a tool; throws with its output when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command} could not be started: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${(result.stderr || result.stdout || '').trim().slice(-2000)}`);
  return result;
}

export function hasCommand(command, args = ['--version']) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined;
}

/** Milliseconds since `started`, as seconds with one decimal. */
export function seconds(started) {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}
