// Shared wiring for the commands that run the agent (enroll, renew, retrieve, pulse, run): load
// the config, open the store, build the real dependencies, and print a PassResult.
//
// Test clock seam: AUTOENROLL_TEST_CLOCK (ISO 8601 instant, or an offset such as "+85s", "-1h")
// shifts the agent's clock so a renewal window can be reached without waiting. It changes only
// what the agent believes the time is (planning, state, WS-Security timestamps); servers and TLS
// still use the real clock. Every use is logged as a warning, so it cannot go unnoticed.
import { humanInstant } from '../log/instant.js';
import { withProgress } from './progress.js';
import { deferReported } from '../log/deferredLogger.js';
import { requestedLogFormat, wantsColor } from '../log/logColor.js';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import { loadConfig, parseDuration, resolveConfigPath } from '../config/index.js';
import { createHookRunner } from '../daemon/hooks.js';
import { createNotifications, ONE_SHOT_DELIVERY_WAIT_MS } from '../daemon/notifications.js';
import type { Notifications } from '../daemon/notifications.js';
import { createAgent } from '../engine/agent.js';
import type { Agent, AgentDeps, AgentHooks, CertificateResult, PassResult } from '../engine/agentTypes.js';
import { hostIdentity } from '../engine/hostIdentity.js';
import type { AutoenrollReport } from '../engine/autoenrollStep.js';
import { ConfigError, UsageError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import type { Logger } from '../log/logger.js';
import { resolveSecret } from '../secrets/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/storeTypes.js';
import { createHttpsClient } from '../transport/httpsClient.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import { systemRandom } from '../transport/random.js';
import type { CommandContext } from './context.js';
import { guardStdout } from './stdoutGuard.js';
import { throwIfInterrupted } from './interrupts.js';
import { fileSystemError } from '../store/fsErrors.js';

export interface AgentRuntime {
  config: Config;
  store: Store;
  logger: Logger;
  httpsClient: HttpsClient;
  agent: Agent;
  deps: AgentDeps;
  /** The configured notification sinks and their outbox. */
  notifications: Notifications;
  /** Held-back log events (RuntimeOptions.deferReported): written, or dropped when the result reports them. */
  releaseLogs(drop: boolean): void;
  close(options?: { force?: boolean }): Promise<void>;
}

export interface RuntimeOptions {
  /** Hooks to run (default: the config's hook commands through the standard runner). */
  hooks?: AgentHooks | null;
  /** Overrides for tests or the demo. */
  now?: () => number;
  /** A one-shot command whose result line reports the failures: hold back the log events that repeat it (log/deferredLogger.ts). */
  deferReported?: boolean;
}

/** The logger every command uses: stderr; --verbose shows debug, --quiet only errors. */
export function commandLogger(context: CommandContext, format: 'json' | 'text' | 'auto' = 'auto'): Logger {
  const level = context.globals.verbose ? 'debug' : context.globals.quiet ? 'error' : 'info';
  return createLogger({ sink: context.stderr, level, format: format === 'auto' ? requestedLogFormat(context.env) : format, color: wantsColor(context.stderr, context.env) });
}

/** Reads the whole configuration named by --config / $AUTOENROLL_CONFIG / the OS default. */
export async function loadCommandConfig(context: CommandContext): Promise<Config> {
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  return loadConfig(file, { env: context.env });
}

/** The agent's clock, shifted by AUTOENROLL_TEST_CLOCK when set (see the top of this file). */
export function agentClock(env: NodeJS.ProcessEnv, logger: Logger): () => number {
  const value = env.AUTOENROLL_TEST_CLOCK;
  if (value === undefined || value === '') return Date.now;
  const offset = /^[+-]/.test(value) ? parseDuration(value.slice(1)) : undefined;
  let shiftMs: number;
  if (offset !== undefined) {
    shiftMs = value.startsWith('-') ? -offset : offset;
  } else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) throw new UsageError(`AUTOENROLL_TEST_CLOCK must be an ISO 8601 instant or an offset like +85s, got "${value}"`, 'TEST_CLOCK_INVALID');
    shiftMs = at - Date.now();
  }
  logger.warn('clock.overridden', { variable: 'AUTOENROLL_TEST_CLOCK', shiftMs });
  return () => Date.now() + shiftMs;
}

export async function openAgentRuntime(context: CommandContext, options: RuntimeOptions = {}): Promise<AgentRuntime> {
  const bootLogger = commandLogger(context);
  const config = await loadCommandConfig(context);
  const direct = commandLogger(context, config.logging.format);
  const deferred = options.deferReported && !context.globals.verbose ? deferReported(direct) : undefined;
  const logger = deferred ?? direct;
  let ca: string | undefined;
  if (config.trust.caFile) {
    try {
      ca = await readFile(config.trust.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the trust bundle: ${(error as Error).message}`, { file: config.file, key: 'trust.caFile' }, 'TRUST_FILE_UNREADABLE');
    }
  }
  const plainClient = createHttpsClient({
    ...(ca !== undefined ? { ca } : {}),
    ...(config.transport.proxy ? { proxy: config.transport.proxy } : {}),
    ...(config.transport.noProxy ? { noProxy: config.transport.noProxy.join(',') } : {}),
    env: context.env,
    connectTimeoutMs: config.transport.connectTimeoutMs,
    requestTimeoutMs: config.transport.requestTimeoutMs,
    maxRequestTimeoutMs: Math.max(config.transport.requestTimeoutMs, config.transport.submitTimeoutMs),
  });
  // One-shot commands on a terminal: a status line while a request waits (progress.ts).
  const httpsClient = withProgress(plainClient, context.stderr, {
    show: options.deferReported === true && !context.globals.quiet && !context.globals.json,
    requestTimeoutMs: config.transport.requestTimeoutMs,
  });
  const store = openStore(config.stateDir);
  const hooks = options.hooks === null ? undefined : (options.hooks ?? createHookRunner({ logger, env: context.env }));
  const deps: AgentDeps = {
    config,
    store,
    httpsClient,
    resolveSecret: (ref) => resolveSecret(ref, { env: context.env, configDir: config.dir }),
    now: options.now ?? agentClock(context.env, bootLogger),
    random: systemRandom,
    hostId: hostIdentity(),
    logger,
    ...(hooks ? { hooks } : {}),
  };
  const notifications = createNotifications({ config, store, logger, now: deps.now, env: context.env });
  return {
    config,
    store,
    logger,
    httpsClient,
    agent: createAgent(deps),
    deps,
    notifications,
    releaseLogs: (drop) => deferred?.release(drop),
    close: async (options) => {
      await notifications.close();
      await httpsClient.close(options);
    },
  };
}

/** Prints a PassResult: one JSON document with --json, else one readable line per certificate. */
export function printPassResult(context: CommandContext, result: PassResult): void {
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (result.dryRun) context.stdout.write('dry run: the policy was fetched; no request was sent and no certificate changed\n');
  for (const entry of result.autoenroll?.entries ?? []) context.stdout.write(`${describeAutoenrollEntry(entry)}\n`);
  if (result.certificates.length === 0) {
    context.stdout.write(result.autoenroll ? 'no certificates to act on\n' : 'no certificates are configured\n');
    return;
  }
  for (const certificate of result.certificates) context.stdout.write(`${describeResult(certificate)}\n`);
  if (result.policy.error && result.policy.source === 'cache') {
    context.stdout.write(`note: every policy server failed; used the cached policy ${result.policy.policyId ?? ''} fetched ${result.policy.fetchedAt ? humanInstant(result.policy.fetchedAt) : '?'}\n`);
  }
}

/** "autoenroll WebServer: add as auto-WebServer — the policy grants autoEnroll …" */
export function describeAutoenrollEntry(entry: AutoenrollReport): string {
  return `autoenroll ${entry.template}: ${entry.disposition} as ${entry.id} — ${entry.message}`;
}

/** Whether the printed result names a failure (then the log events that said the same are dropped). */
export function resultReportsFailure(result: PassResult): boolean {
  return result.certificates.some((c) => c.error !== null && c.error !== undefined) || Boolean(result.policy.error);
}

export function describeResult(r: CertificateResult): string {
  const parts = [`${r.id}: ${r.status}`];
  switch (r.outcome) {
    case 'issued':
      parts.push(`${r.action === 'renew' ? 'renewed' : r.action === 'reinstall' ? 'outputs reinstalled' : 'issued'}; generation ${r.generation ?? '?'}, serial ${r.serial ?? '?'}, thumbprint ${r.thumbprint ?? '?'}, valid until ${r.notAfter ? humanInstant(r.notAfter) : '?'}`);
      break;
    case 'pending':
      parts.push(`request ${r.requestId ?? '?'} is pending CA manager approval at ${r.endpoint ?? '?'}; run "autoenroll retrieve" once it is approved`);
      break;
    case 'failed':
      parts.push(`${r.action} failed`);
      break;
    case 'needs-attention':
      // The state word (NEEDS_ATTENTION) says it; the message after the dash says why.
      break;
    default:
      if (r.action === 'reinstall') parts.push('output files reinstalled');
      parts.push(r.message ?? 'nothing to do');
      if (r.thumbprint) parts.push(`(thumbprint ${r.thumbprint}, valid until ${r.notAfter ? humanInstant(r.notAfter) : '?'})`);
  }
  if (r.error) parts.push(`— ${withCode(r.error.message, r.error.code)}`);
  else if (r.outcome === 'needs-attention' && r.message) parts.push(`— ${r.message}`);
  return parts.join(' ');
}

/**
 * "message [CODE]", the code once: a failover error's message already ends with the list of
 * endpoints tried, each with its code, and the last of those is usually the same code.
 */
export function withCode(message: string, code: string): string {
  return message.trimEnd().endsWith(`[${code}]`) ? message : `${message} [${code}]`;
}

/** Runs one pass for a command and prints it; resolves to the exit code. */
export async function runAgentCommand(
  context: CommandContext,
  pass: Parameters<Agent['runPass']>[0],
  options: RuntimeOptions = {},
): Promise<number> {
  guardStdout(context.stdout);
  const runtime = await openAgentRuntime(context, { deferReported: true, ...options });
  try {
    const result = await runtime.agent.runPass({ ...pass, signal: context.signal });
    throwIfInterrupted(context.signal);
    runtime.releaseLogs(resultReportsFailure(result));
    printPassResult(context, result);
    await notifyAfterCommand(runtime, result, context);
    return result.exitCode;
  } catch (error) {
    // The state folder (lock, policy cache) failing outside a certificate's turn: typed, with its key.
    throw fileSystemError(error, { config: runtime.config }) ?? error;
  } finally {
    await runtime.close({ force: context.signal.aborted });
  }
}

/**
 * A one-shot command's notifications: queued after its pass, then delivered for a bounded time
 * (what is not delivered by then stays in the outbox for the next command or the service).
 */
export async function notifyAfterCommand(runtime: AgentRuntime, result: PassResult, context: CommandContext): Promise<void> {
  if (!runtime.notifications.enabled) return;
  await runtime.notifications.afterPass(result);
  // The bound covers a delivery in flight too (a sink that stalls): it stays claimed and queued, and
  // the next command or the service delivers it once this process is gone.
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(ONE_SHOT_DELIVERY_WAIT_MS)]);
  await runtime.notifications.deliver({ untilMs: Date.now() + ONE_SHOT_DELIVERY_WAIT_MS, signal });
}
