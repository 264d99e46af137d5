// dist/main.js: starts the CLI bundle (dist/cli.cjs) through node:vm with the V8 code cache of the
// invoked command (codeCache.ts), and writes that cache after a successful run when there was none
// to accept. Where no private cache folder can be used, the same CLI runs from the split ES module
// build (dist/esm/main.js), which loads only the chunks the command needs. Long-running commands
// (the service, the lab, the demo) take the ES module build: their start-up is not what matters.
// The single executable starts the same bundle the same way (seaLaunch.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileBundle, LONG_RUNNING, runBundle, v8FlagsFor } from './bundleScript.js';
import { codeCacheDir, codeCacheFileName, currentEnvironment, prepareCodeCacheDir, pruneCodeCaches, readCodeCache, writeCodeCache } from './codeCache.js';
import { invokedCommand } from './invokedCommand.js';

declare const __AUTOENROLL_BUILD_ID__: string;

const here = path.dirname(fileURLToPath(import.meta.url));
const command = invokedCommand(process.argv.slice(2));
const flags = v8FlagsFor(command);
// node:v8 only when there is a flag to set (2–4 ms of start-up otherwise; bundleScript.ts).
if (flags.length > 0) (await import('node:v8')).setFlagsFromString(flags.join(' '));
const environment = currentEnvironment();
const dir = command !== undefined && LONG_RUNNING.has(command) ? undefined : codeCacheDir(environment);

if (dir === undefined || !prepareCodeCacheDir(dir, environment)) {
  await import(pathToFileURL(path.join(here, 'esm', 'main.js')).href);
} else {
  const bundle = path.join(here, 'cli.cjs');
  const cacheFile = path.join(dir, codeCacheFileName(__AUTOENROLL_BUILD_ID__, command));
  const cachedData = readCodeCache(cacheFile, environment);
  const script = compileBundle(readFileSync(bundle, 'utf8'), bundle, cachedData);
  const code = await runBundle(script, createRequire(bundle), bundle, here);
  if (code === 0 && (cachedData === undefined || script.cachedDataRejected === true)) {
    writeCodeCache(cacheFile, script.createCachedData());
    pruneCodeCaches(dir, __AUTOENROLL_BUILD_ID__, Date.now());
  }
}
