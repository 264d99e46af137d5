// What both launchers do with the CommonJS bundle of the CLI (dist/cli.cjs): the Node launcher
// (launch.ts → dist/main.js) reads it from dist/, the single executable (seaLaunch.ts) from its
// embedded asset. Both compile it through node:vm with a V8 code cache (codeCache.ts), after
// setting the V8 flags of the invoked command, so the two start the same way.
import { Script } from 'node:vm';

/** Commands that run for long: their start-up is not what matters (the Node launcher takes the ES module build). */
export const LONG_RUNNING = new Set(['run', 'lab', 'demo']);

// The only WebAssembly the CLI runs is undici's HTTP parser (llhttp). By default V8 tiers its hot
// functions up to TurboFan on a background thread: ≈ 60 ms of CPU and ≈ 40 MB of compiler memory
// per process, which the process then waits for before it can exit (BENCHMARKS.md, "CLI start-up").
// Parsing a few SOAP answers with the baseline code costs far less than that compile. Set before
// any WebAssembly is compiled; the flag exists in the V8 of Node 20, 22 and 24. Only for the commands
// that speak HTTPS: loading node:v8 costs the others (status, plan, --version) 2–4 ms for nothing.
const HTTPS_COMMANDS = new Set(['request', 'enroll', 'renew', 'retrieve', 'pulse', 'policy', 'doctor', 'run', 'demo']);

/** The V8 flags to set before the CLI starts, for this command (a V8 code cache is only valid under the same flags). */
export function v8FlagsFor(command: string | undefined): string[] {
  return command !== undefined && HTTPS_COMMANDS.has(command) ? ['--liftoff-only'] : [];
}

/** Compiles the bundle's source as a CommonJS module function, with cached data when there is some. */
export function compileBundle(source: string, filename: string, cachedData: Buffer | undefined): Script {
  // The CommonJS wrapper sits on a line of its own, so line numbers in stack traces match the file.
  return new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename,
    lineOffset: -1,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
}

/** Runs the compiled bundle and resolves to the CLI's exit code (entry.ts exports `finished`). */
export function runBundle(script: Script, require: NodeJS.Require, filename: string, dirname: string): Promise<number> | undefined {
  const module = { exports: {} as { finished?: Promise<number> } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, filename, dirname);
  return module.exports.finished;
}
