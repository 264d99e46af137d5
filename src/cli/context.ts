// What every command receives: the global options and the process streams, injected so that
// commands can be run in-process by tests and by the demo.

export interface GlobalOptions {
  /** --config PATH, else $AUTOENROLL_CONFIG, else the OS default (resolved by the config loader). */
  config: string | undefined;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
}

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CommandContext {
  globals: GlobalOptions;
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM for long-running commands (run, lab, demo). */
  signal: AbortSignal;
}

/** A command implementation: resolves to the process exit code, or throws an AutoenrollError. */
export type CommandRun<Options> = (options: Options, context: CommandContext) => Promise<number>;
