// Process entry point of the bundled CLI (dist/main.js): wires the real process to runCli.
import { runCli } from './main.js';

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
