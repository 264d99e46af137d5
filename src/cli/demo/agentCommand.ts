// Runs one of the agent's CLI commands in-process exactly as `autoenroll --config FILE --json
// <command>` would (same module, same option object, same wiring from the config file), and
// keeps what it printed: the JSON document on stdout and the JSON log lines on stderr, which the
// demo reads to tell the story (e.g. the failover attempts).
import { errorToJson, exitCodeOf } from '../../errors.js';
import type { ErrorJson } from '../../errors.js';
import type { CommandContext } from '../context.js';

export type DemoCommand = 'enroll' | 'retrieve' | 'renew' | 'plan' | 'status';

const loaders: Record<DemoCommand, () => Promise<{ run: (options: never, context: CommandContext) => Promise<number> }>> = {
  enroll: () => import('../commands/enroll.js'),
  retrieve: () => import('../commands/retrieve.js'),
  renew: () => import('../commands/renew.js'),
  plan: () => import('../commands/plan.js'),
  status: () => import('../commands/status.js'),
};

export interface LogRecord {
  time: string;
  level: string;
  event: string;
  [field: string]: unknown;
}

export interface CommandRun<T> {
  /** The command line a user would type for the same thing. */
  commandLine: string;
  exitCode: number;
  /** The parsed --json document, or null if the command printed none. */
  document: T | null;
  logs: LogRecord[];
  stderr: string;
  /** What the command threw, if it did (it then printed nothing on stdout). */
  error: ErrorJson | null;
}

export interface AgentSetup {
  configPath: string;
  /** Environment of the agent: the caller's, plus the password variable. */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export async function runAgentCommand<T>(
  command: DemoCommand,
  options: Record<string, unknown>,
  setup: AgentSetup,
  outer: CommandContext,
): Promise<CommandRun<T>> {
  let stdout = '';
  let stderr = '';
  const forward = outer.globals.verbose ? outer.stderr : undefined;
  const context: CommandContext = {
    globals: { config: setup.configPath, json: true, verbose: outer.globals.verbose, quiet: false },
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: {
      write: (chunk: string) => {
        stderr += chunk;
        forward?.write(chunk);
        return true;
      },
    },
    stdin: outer.stdin,
    env: setup.env,
    cwd: setup.cwd,
    signal: outer.signal,
  };
  const commandLine = `autoenroll --config ${setup.configPath} ${command}${flags(options)}`;
  let exitCode: number;
  let error: ErrorJson | null = null;
  try {
    const module = await loaders[command]();
    exitCode = await module.run(options as never, context);
  } catch (caught) {
    exitCode = exitCodeOf(caught);
    error = errorToJson(caught);
  }
  return { commandLine, exitCode, document: parseDocument<T>(stdout), logs: parseLogs(stderr), stderr, error };
}

function flags(options: Record<string, unknown>): string {
  return Object.entries(options)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([key, value]) => ` --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${value === true ? '' : ` ${String(value)}`}`)
    .join('');
}

function parseDocument<T>(stdout: string): T | null {
  if (stdout.trim() === '') return null;
  try {
    return JSON.parse(stdout) as T;
  } catch {
    return null;
  }
}

function parseLogs(stderr: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as LogRecord;
      if (typeof record.event === 'string') records.push(record);
    } catch {
      // not a log line
    }
  }
  return records;
}
