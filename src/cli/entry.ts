// Process entry point of the CLI: wires the real process to runCli. Bundled twice by
// scripts/build.mjs: as CommonJS (dist/cli.cjs, compiled by dist/main.js with a V8 code cache, see
// codeCache.ts) and as split ES modules (dist/esm/, used where no code cache can be kept). No
// top-level await, so that the same file makes both.
import { invokedCommand } from './invokedCommand.js';
import { installInterruptHandler } from './interrupts.js';
import { runCli } from './main.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const interrupts = installInterruptHandler(invokedCommand(argv), process.stderr, (code) => process.exit(code));
  const code = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: interrupts.signal,
  });
  const final = interrupts.finish(code);
  process.exitCode = final;
  return final;
}

/** The exit code, once the command has finished (the launcher writes the code cache after it). */
export const finished: Promise<number> = main();
