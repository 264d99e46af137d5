// The main script of the single executable (dist/package/autoenroll-linux-x64, built by
// scripts/package.mjs with Node's single-executable application support). It starts the CLI
// bundle (dist/cli.cjs, embedded as the asset `cli.cjs`) like the Node launcher does (launch.ts):
// the command's V8 flags first, then node:vm with the per-user code cache of codeCache.ts, written
// after a successful run that had none to accept. Where there is no usable per-user folder (an
// empty environment: no HOME) or no file yet, it uses the code cache made at package time and
// embedded beside the bundle (`code-cache-<flags>.bin`: one per set of V8 flags, since V8 rejects
// cached data made under other flags). Long-running commands neither read nor write per-user caches.
import { createRequire } from 'node:module';
import path from 'node:path';
import { getAsset } from 'node:sea';
import { setFlagsFromString } from 'node:v8';
import { compileBundle, LONG_RUNNING, runBundle, v8FlagsFor } from './bundleScript.js';
import { codeCacheDir, codeCacheFileName, currentEnvironment, prepareCodeCacheDir, pruneCodeCaches, readCodeCache, writeCodeCache } from './codeCache.js';
import { invokedCommand } from './invokedCommand.js';

declare const __AUTOENROLL_BUILD_ID__: string;

/** Asset name of the package-time code cache for these V8 flags. */
export function embeddedCodeCacheName(flags: readonly string[]): string {
  return `code-cache-${flags.length === 0 ? 'default' : flags.map((f) => f.replace(/^-+/, '')).join('_')}.bin`;
}

function embeddedCodeCache(flags: readonly string[]): Buffer | undefined {
  try {
    return Buffer.from(getAsset(embeddedCodeCacheName(flags)));
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const command = invokedCommand(process.argv.slice(2));
  const flags = v8FlagsFor(command);
  if (flags.length > 0) setFlagsFromString(flags.join(' '));
  const environment = currentEnvironment();
  const dir = command !== undefined && LONG_RUNNING.has(command) ? undefined : codeCacheDir(environment);
  const cacheFile = dir !== undefined && prepareCodeCacheDir(dir, environment) ? path.join(dir, codeCacheFileName(__AUTOENROLL_BUILD_ID__, command)) : undefined;
  const own = cacheFile !== undefined ? readCodeCache(cacheFile, environment) : undefined;
  const exe = process.execPath;
  // Stack frames name the executable's bundle; nothing is read from that path.
  const filename = path.join(exe, 'cli.cjs');
  const script = compileBundle(getAsset('cli.cjs', 'utf8'), filename, own ?? embeddedCodeCache(flags));
  // A real require (the executable's own knows only built-in modules); optional native modules
  // are found beside the executable by src/native/optionalModule.ts.
  const code = await runBundle(script, createRequire(exe), exe, path.dirname(exe));
  if (cacheFile !== undefined && dir !== undefined && code === 0 && (own === undefined || script.cachedDataRejected === true)) {
    writeCodeCache(cacheFile, script.createCachedData());
    pruneCodeCaches(dir, __AUTOENROLL_BUILD_ID__, Date.now());
  }
}

void main();
