// The engine's AgentHooks: runs the deploy and failure commands configured per certificate.
// Each command runs without a shell (argv from splitCommand) unless `hooks.shell` is true, with
// the AUTOENROLL_* environment below, in its own process group, and is killed (the whole group)
// when it outlives `hooks.timeoutMs`. Exit status and a tail of its output are logged.
// A failed deploy command rejects with HookFailed: the certificate stays installed (it was
// committed before the hook ran) and one-shot commands exit 6. Failure hooks are best effort.
import { spawn } from 'node:child_process';
import { HookFailed, errorToJson } from '../errors.js';
import type { DeployEvent, FailureEvent, AgentHooks } from '../engine/agentTypes.js';
import type { HookConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { splitCommand } from './hookCommand.js';

export type HookKind = 'deploy' | 'failure';

export interface HookRun {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Last bytes of stdout+stderr (for the log). */
  outputTail: string;
  spawnError?: string;
}

const OUTPUT_TAIL_BYTES = 2048;
const KILL_GRACE_MS = 2_000;

/** The environment a hook sees (also documented in the README). */
export function deployEnvironment(event: DeployEvent): Record<string, string> {
  return {
    AUTOENROLL_EVENT: 'deploy',
    AUTOENROLL_ID: event.id,
    AUTOENROLL_GENERATION: String(event.generation),
    AUTOENROLL_CERT: event.certPath ?? '',
    AUTOENROLL_KEY: event.keyPath ?? '',
    AUTOENROLL_CHAIN: event.chainPath ?? '',
    AUTOENROLL_FULLCHAIN: event.fullchainPath ?? '',
    AUTOENROLL_PFX: event.pfxPath ?? '',
    AUTOENROLL_THUMBPRINT: event.newThumbprint,
    AUTOENROLL_OLD_THUMBPRINT: event.oldThumbprint ?? '',
    AUTOENROLL_NOT_AFTER: event.notAfter,
  };
}

export function failureEnvironment(event: FailureEvent): Record<string, string> {
  return {
    AUTOENROLL_EVENT: 'failure',
    AUTOENROLL_ID: event.id,
    AUTOENROLL_ACTION: event.action,
    AUTOENROLL_ERROR_CODE: event.error.code,
    AUTOENROLL_ERROR_MESSAGE: event.error.message,
    AUTOENROLL_THUMBPRINT: event.thumbprint ?? '',
    AUTOENROLL_NOT_AFTER: event.notAfter ?? '',
  };
}

/**
 * The environment of every command autoenroll starts for someone else: deploy and failure hooks
 * and the command notification sink. The one place that decides what a child inherits.
 */
export function hookEnvironment(vars: Record<string, string>, baseEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...baseEnv, ...vars };
}

/** Runs one command to completion (or timeout); never rejects. */
export function runHookCommand(
  command: string,
  options: {
    shell: boolean;
    timeoutMs: number;
    env: NodeJS.ProcessEnv;
    cwd?: string;
    /** The argv to run (`command` is then only its label); default: `command` split by splitCommand. */
    argv?: string[];
    /** Written to the command's stdin, then closed (default: no stdin). */
    stdin?: string;
  },
): Promise<HookRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    let argv: string[];
    try {
      argv = options.argv ?? (options.shell ? [command] : splitCommand(command));
    } catch (error) {
      resolve({ command, exitCode: null, signal: null, timedOut: false, durationMs: 0, outputTail: '', spawnError: (error as Error).message });
      return;
    }
    const [file, ...args] = argv as [string, ...string[]];
    let tail = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(file, args, {
      shell: options.shell,
      env: options.env,
      cwd: options.cwd,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills what the hook started too.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const collect = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    if (options.stdin !== undefined && child.stdin) {
      // A command that exits without reading its stdin must not crash the agent with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const finish = (run: Omit<HookRun, 'command' | 'durationMs' | 'outputTail' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ command, timedOut, durationMs: Math.round(performance.now() - started), outputTail: tail.trim(), ...run });
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killTree(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);
    child.on('error', (error) => finish({ exitCode: null, signal: null, spawnError: error.message }));
    child.on('close', (code, signal) => finish({ exitCode: code, signal }));
  });
}

function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') {
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      process.kill(-pid, signal);
    }
  } catch {
    // Already gone.
  }
}

function succeeded(run: HookRun): boolean {
  return run.exitCode === 0 && !run.timedOut && run.spawnError === undefined;
}

/** Runs the commands in order; stops at the first failure and returns every run. */
export async function runHooks(
  kind: HookKind,
  hooks: HookConfig,
  vars: Record<string, string>,
  logger: Logger,
  baseEnv: NodeJS.ProcessEnv = process.env,
): Promise<HookRun[]> {
  const commands = kind === 'deploy' ? hooks.deploy : hooks.failure;
  const runs: HookRun[] = [];
  for (const command of commands) {
    const run = await runHookCommand(command, { shell: hooks.shell, timeoutMs: hooks.timeoutMs, env: hookEnvironment(vars, baseEnv) });
    runs.push(run);
    const fields = {
      id: vars.AUTOENROLL_ID,
      hook: kind,
      command,
      exitCode: run.exitCode,
      signal: run.signal,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      ...(run.outputTail ? { output: run.outputTail } : {}),
      ...(run.spawnError ? { spawnError: run.spawnError } : {}),
    };
    if (succeeded(run)) {
      logger.info('hook.succeeded', fields);
    } else {
      logger.error('hook.failed', fields);
      break;
    }
  }
  return runs;
}

function describeFailure(run: HookRun): string {
  if (run.spawnError) return `could not be started (${run.spawnError})`;
  if (run.timedOut) return 'timed out and was killed';
  if (run.signal) return `was killed by ${run.signal}`;
  return `exited with status ${run.exitCode}`;
}

export interface HookRunnerOptions {
  logger: Logger;
  /** Environment the hooks inherit (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The AgentHooks the engine calls after an install (deploy) or a failed attempt (failure). */
export function createHookRunner(options: HookRunnerOptions): AgentHooks {
  const { logger } = options;
  return {
    async deploy(event) {
      if (event.hooks.deploy.length === 0) return;
      const runs = await runHooks('deploy', event.hooks, deployEnvironment(event), logger, options.env);
      const failed = runs.find((run) => !succeeded(run));
      if (failed) {
        throw new HookFailed(
          `deploy hook for "${event.id}" ${describeFailure(failed)}: ${failed.command} — the new certificate ${event.newThumbprint} stays installed; fix the hook and run it again`,
        );
      }
    },
    async failure(event) {
      if (event.hooks.failure.length === 0) return;
      try {
        await runHooks('failure', event.hooks, failureEnvironment(event), logger, options.env);
      } catch (error) {
        logger.error('hook.failed', { id: event.id, hook: 'failure', error: errorToJson(error) });
      }
    },
  };
}
