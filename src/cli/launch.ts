// dist/main.js: starts the CLI bundle (dist/cli.cjs) through node:vm with the V8 code cache of the
// invoked command (codeCache.ts), and writes that cache after a successful run when there was none
// to accept. Where no private cache folder can be used, the same CLI runs from the split ES module
// build (dist/esm/main.js), which loads only the chunks the command needs. Long-running commands
// (the service, the lab, the demo) take the ES module build: their start-up is not what matters.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { codeCacheDir, codeCacheFileName, currentEnvironment, prepareCodeCacheDir, pruneCodeCaches, readCodeCache, writeCodeCache } from './codeCache.js';
import { invokedCommand } from './invokedCommand.js';

declare const __AUTOENROLL_BUILD_ID__: string;

const LONG_RUNNING = new Set(['run', 'lab', 'demo']);

// The only WebAssembly the CLI runs is undici's HTTP parser (llhttp). By default V8 tiers its hot
// functions up to TurboFan on a background thread: ≈ 60 ms of CPU and ≈ 40 MB of compiler memory
// per process, which the process then waits for before it can exit (BENCHMARKS.md, "CLI start-up").
// Parsing a few SOAP answers with the baseline code costs far less than that compile. Set before
// any WebAssembly is compiled; the flag exists in the V8 of Node 20, 22 and 24. Only for the commands
// that speak HTTPS: loading node:v8 costs the others (status, plan, --version) 2–4 ms for nothing.
const HTTPS_COMMANDS = new Set(['request', 'enroll', 'renew', 'retrieve', 'pulse', 'policy', 'doctor', 'run', 'demo']);

const here = path.dirname(fileURLToPath(import.meta.url));
const command = invokedCommand(process.argv.slice(2));
if (command !== undefined && HTTPS_COMMANDS.has(command)) (await import('node:v8')).setFlagsFromString('--liftoff-only');
const environment = currentEnvironment();
const dir = command !== undefined && LONG_RUNNING.has(command) ? undefined : codeCacheDir(environment);

if (dir === undefined || !prepareCodeCacheDir(dir, environment)) {
  await import(pathToFileURL(path.join(here, 'esm', 'main.js')).href);
} else {
  const bundle = path.join(here, 'cli.cjs');
  const cacheFile = path.join(dir, codeCacheFileName(__AUTOENROLL_BUILD_ID__, command));
  const cachedData = readCodeCache(cacheFile, environment);
  // The CommonJS wrapper sits on a line of its own, so line numbers in stack traces match the file.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${readFileSync(bundle, 'utf8')}\n})`, {
    filename: bundle,
    lineOffset: -1,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = { exports: {} as { finished?: Promise<number> } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, here);
  const code = await module.exports.finished;
  if (code === 0 && (cachedData === undefined || script.cachedDataRejected === true)) {
    writeCodeCache(cacheFile, script.createCachedData());
    pruneCodeCaches(dir, __AUTOENROLL_BUILD_ID__, Date.now());
  }
}
