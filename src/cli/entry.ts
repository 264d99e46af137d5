// Process entry point of the CLI: wires the real process to runCli. Bundled twice by
// scripts/build.mjs: as CommonJS (dist/cli.cjs, compiled by dist/main.js with a V8 code cache, see
// codeCache.ts) and as split ES modules (dist/esm/, used where no code cache can be kept). No
// top-level await, so that the same file makes both.
import { runCli } from './main.js';

async function main(): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  process.exitCode = code;
  return code;
}

/** The exit code, once the command has finished (the launcher writes the code cache after it). */
export const finished: Promise<number> = main();
