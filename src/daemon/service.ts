// `autoenroll run`: the service in the foreground. Wires the scheduler (when), the agent (what),
// the control socket (pulse/status), metrics, systemd notification and signals:
// SIGTERM/SIGINT stop after the current step, SIGHUP re-reads the configuration.
import type { Config } from '../config/types.js';
import type { Agent, PassResult } from '../engine/agentTypes.js';
import { errorToJson, InternalError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/storeTypes.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { LiveStatus } from './controlProtocol.js';
import { startControlServer } from './controlSocket.js';
import { writeMetrics } from './metrics.js';
import type { MetricsSnapshot } from './metrics.js';
import { readOutbox } from './notificationOutbox.js';
import { EndpointHealth, metricsFromPass } from './passMetrics.js';
import { Scheduler } from './scheduler.js';
import type { PassReport, PassRequest } from './scheduler.js';
import { factsFromPass } from './certificateFacts.js';
import type { Notifications } from './notifications.js';
import { createNotifier } from './sdNotify.js';
import type { Notifier } from './sdNotify.js';

/** One loaded configuration and what was built from it; replaced as a whole on reload. */
export interface ServiceRuntime {
  config: Config;
  store: Store;
  agent: Agent;
  /** Notification sinks (absent: none). Delivery runs in the background, never inside a pass. */
  notifications?: Notifications;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Loads the configuration and builds the agent (at start and on each reload). */
  open(): Promise<ServiceRuntime>;
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Registers the reload trigger (SIGHUP); returns its removal. */
  onReload?(listener: () => void): () => void;
  env: NodeJS.ProcessEnv;
  version: string;
  clock?: Clock;
  notifier?: Notifier;
  /** How long a pass waits for a one-shot command holding the state lock (default 30 s). */
  lockWaitMs?: number;
}

export async function runService(options: ServiceOptions): Promise<number> {
  const { logger } = options;
  const clock = options.clock ?? systemClock();
  const notifier = options.notifier ?? createNotifier({ env: options.env, logger });
  let runtime = await options.open();
  const stateDir = runtime.config.stateDir;
  const startedAtMs = Date.now();
  const health = new EndpointHealth();
  let lastResult: PassResult | null = null;

  const runPass = async ({ reason, signal }: PassRequest): Promise<PassReport> => {
    const current = runtime;
    const release = await current.store.lockAll({ wait: options.lockWaitMs ?? 30_000 });
    let result: PassResult;
    try {
      result = await current.agent.runPass({ operation: reason === 'pulse' ? 'pulse' : 'scheduled', signal });
    } finally {
      await release();
    }
    lastResult = result;
    logCertificateEvents(logger, result);
    health.record(result);
    await notifyAfterPass(current, result);
    try {
      const queues = await notificationQueues(current);
      await writeMetrics(stateDir, await metricsFromPass(result, current.store, health, scheduler.state().passes, queues));
    } catch (error) {
      logger.warn('metrics.write_failed', { error: errorToJson(error) });
    }
    const nextWakeAtMs = Date.parse(result.nextWakeAt);
    void notifier.status(`last pass ${result.finishedAt}: exit ${result.exitCode}; next planned wake ${result.nextWakeAt}`);
    return { exitCode: result.exitCode, nextWakeAtMs: Number.isFinite(nextWakeAtMs) ? nextWakeAtMs : null, result };
  };

  // Expiry thresholds are crossed between passes: a timer re-judges the last pass's facts then.
  // Facts of an older pass must not be judged after a newer pass's: each pass re-arms the timer.
  let thresholdTimer: NodeJS.Timeout | undefined;
  let passSeq = 0;
  const armThresholdTimer = async (current: ServiceRuntime, result: PassResult): Promise<void> => {
    clearTimeout(thresholdTimer);
    const seq = passSeq;
    const notifications = current.notifications;
    if (!notifications?.enabled || options.signal.aborted) return;
    const facts = await factsFromPass(result, current.store);
    const at = await notifications.nextThresholdAt(facts);
    if (at === null) return;
    const check = (): void => {
      if (runtime !== current || options.signal.aborted || seq !== passSeq) return;
      if (Date.now() < at - 1000) {
        thresholdTimer = setTimeout(check, Math.min(30_000, at - Date.now()));
        return;
      }
      void notifications
        .afterFacts(facts)
        .then(() => notifications.kick())
        .then(() => armThresholdTimer(current, result))
        .catch((error: unknown) => logger.warn('notification.threshold_check_failed', { error: errorToJson(error) }));
    };
    thresholdTimer = setTimeout(check, Math.max(0, Math.min(30_000, at - Date.now())));
    thresholdTimer.unref?.();
  };
  const notifyAfterPass = async (current: ServiceRuntime, result: PassResult): Promise<void> => {
    passSeq += 1;
    if (!current.notifications?.enabled) return;
    try {
      await current.notifications.afterPass(result);
      current.notifications.kick();
      await armThresholdTimer(current, result);
    } catch (error) {
      logger.warn('notification.after_pass_failed', { error: errorToJson(error) });
    }
  };

  const scheduler: Scheduler = new Scheduler({
    clock,
    logger,
    runPass,
    timing: () => runtime.config.schedule,
    reload: async () => {
      const next = await options.open();
      if (next.config.stateDir !== stateDir) {
        await next.close();
        throw new InternalError(`stateDir changed from ${stateDir} to ${next.config.stateDir}; restart the service to move it`, 'RELOAD_STATEDIR_CHANGED');
      }
      const previous = runtime;
      runtime = next;
      await previous.notifications?.stop(1000);
      await previous.close();
      next.notifications?.kick();
    },
  });

  const status = (): LiveStatus => {
    const cpu = process.cpuUsage();
    return {
      pid: process.pid,
      version: options.version,
      configFile: runtime.config.file,
      stateDir,
      startedAt: new Date(startedAtMs).toISOString(),
      uptimeMs: Date.now() - startedAtMs,
      scheduler: scheduler.state(),
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      rssBytes: process.memoryUsage.rss(),
      certificates: lastResult?.certificates ?? [],
    };
  };

  let control;
  try {
    control = await startControlServer(
      stateDir,
      {
        status,
        pulse: async () => {
          const report = await scheduler.pulse();
          return { result: report.result ?? { error: report.error }, exitCode: report.exitCode };
        },
      },
      logger,
    );
  } catch (error) {
    await runtime.close();
    throw error;
  }

  const stop = (): void => {
    logger.info('service.stopping', {});
    void notifier.stopping();
    scheduler.stop();
  };
  if (options.signal.aborted) stop();
  else options.signal.addEventListener('abort', stop, { once: true });
  const removeReload = options.onReload?.(() => {
    logger.info('service.reload_requested', {});
    scheduler.requestReload();
  });

  logger.info('service.started', {
    pid: process.pid,
    version: options.version,
    config: runtime.config.file,
    stateDir,
    control: control.path,
    intervalMs: runtime.config.schedule.intervalMs,
    certificates: runtime.config.certificates.map((c) => c.id),
  });
  await notifier.ready(`control socket ${control.path}; first pass starting`);

  // Events queued before a restart (or left by a killed process) go out now.
  runtime.notifications?.kick();
  try {
    await scheduler.run();
  } finally {
    options.signal.removeEventListener('abort', stop);
    removeReload?.();
    clearTimeout(thresholdTimer);
    // Deliveries in flight stay in the outbox when they do not finish in time.
    await runtime.notifications?.stop(1000);
    await control.close();
    await runtime.close();
  }
  logger.info('service.stopped', { passes: scheduler.state().passes });
  return 0;
}

async function notificationQueues(current: ServiceRuntime): Promise<MetricsSnapshot['notificationQueues']> {
  const sinks = current.config.notifications?.sinks ?? [];
  if (sinks.length === 0) return undefined;
  const outbox = await readOutbox(current.config.stateDir);
  return sinks.map((s) => ({ sink: s.name, length: outbox.queues[s.name]?.length ?? 0, dropped: outbox.dropped[s.name] ?? 0 }));
}

function logCertificateEvents(logger: Logger, result: PassResult): void {
  for (const cert of result.certificates) {
    if (cert.outcome !== 'issued' || cert.action === 'reinstall') continue;
    const renewed = cert.action === 'renew' || cert.action === 're-enroll';
    logger.info(renewed ? 'certificate.renewed' : 'certificate.issued', {
      id: cert.id,
      action: cert.action,
      generation: cert.generation,
      thumbprint: cert.thumbprint,
      previousThumbprint: cert.previousThumbprint,
      notAfter: cert.notAfter,
      renewAt: cert.renewAt,
      endpoint: cert.endpoint,
    });
  }
}
