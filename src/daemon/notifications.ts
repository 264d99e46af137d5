// Notifications, wired: after a pass, the events its results call for (deriveNotifications) are
// queued in each sink's outbox together with the new memory, in one atomic write; delivery then
// runs outside the pass — in the background in the service, for a bounded time in one-shot
// commands. Nothing here ever fails a pass: errors are logged and the outbox keeps the events.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/types.js';
import type { NotificationSinkConfig } from '../config/notificationTypes.js';
import type { PassResult } from '../engine/agentTypes.js';
import { deriveNotifications, nextThresholdAt } from '../engine/notificationEvents.js';
import type { CertificateFacts, NotificationEvent } from '../engine/notificationEvents.js';
import { errorToJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/storeTypes.js';
import { createCommandSink } from './commandSink.js';
import { factsFromPass } from './certificateFacts.js';
import { NotificationDelivery } from './notificationDelivery.js';
import type { DrainReport } from './notificationDelivery.js';
import type { NotificationSink } from './notificationSink.js';
import { readOutbox, updateOutbox } from './notificationOutbox.js';
import { enqueue, pruneSinks } from './outboxModel.js';
import type { QueuedEvent } from './outboxModel.js';
import { createSystemLogSink } from './systemLogSink.js';
import { createWebhookSink } from './webhookSink.js';

/** How long a one-shot command waits for its notifications after the pass (default). */
export const ONE_SHOT_DELIVERY_WAIT_MS = 15_000;

export interface NotificationsOptions {
  config: Config;
  store: Store;
  logger: Logger;
  /** The agent's clock (events are judged by the same time as the pass). */
  now?: () => number;
  host?: string;
  /** Environment base of the command sink (hookEnvironment's; default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface Notifications {
  readonly enabled: boolean;
  /** Queues the events a pass calls for; resolves to them. Never rejects. */
  afterPass(result: PassResult): Promise<QueuedEvent[]>;
  /** Queues the events these facts call for (the service's expiry timer). Never rejects. */
  afterFacts(facts: CertificateFacts[]): Promise<QueuedEvent[]>;
  /** Delivers what is due, waiting for retries until `untilMs`. Never rejects. */
  deliver(options: { untilMs: number; signal?: AbortSignal }): Promise<DrainReport>;
  /** The earliest expiry threshold still to be crossed by these facts (epoch ms) or null. */
  nextThresholdAt(facts: CertificateFacts[]): Promise<number | null>;
  /** The service: delivers in the background until stop(), waking for retries; a kick during a drain is not lost. */
  kick(): void;
  /** Stops background delivery, waiting up to `waitMs` for deliveries in flight (they stay queued). */
  stop(waitMs: number): Promise<void>;
  close(): Promise<void>;
}

export function buildSink(entry: NotificationSinkConfig, config: Config, env?: NodeJS.ProcessEnv): NotificationSink {
  switch (entry.sink.kind) {
    case 'command':
      return createCommandSink(entry.name, entry.sink, env);
    case 'webhook':
      return createWebhookSink(entry.name, entry.sink, config.trust.caFile !== undefined ? { trustCaFile: config.trust.caFile } : {});
    case 'systemLog':
      return createSystemLogSink(entry.name, entry.sink);
  }
}

function leaseFor(entry: NotificationSinkConfig | undefined): number {
  const timeout = entry?.sink.kind === 'systemLog' ? 10_000 : (entry?.sink.timeoutMs ?? 30_000);
  return timeout + 10_000;
}

export function createNotifications(options: NotificationsOptions): Notifications {
  const { config, store, logger } = options;
  const settings = config.notifications;
  const now = options.now ?? Date.now;
  const host = options.host ?? hostname();
  const sinks = settings.sinks.map((entry) => buildSink(entry, config, options.env));
  const byName = new Map(settings.sinks.map((entry) => [entry.name, entry]));
  const delivery = new NotificationDelivery({
    stateDir: config.stateDir,
    logger,
    backoff: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs },
    leaseMs: (sink) => leaseFor(byName.get(sink.name)),
  });
  const enabled = sinks.length > 0;
  const background = new AbortController();
  const running = new Map<string, Promise<unknown>>();
  const dirty = new Set<string>();

  const queue = async (facts: CertificateFacts[]): Promise<QueuedEvent[]> => {
    if (!enabled || facts.length === 0) return [];
    try {
      const nowMs = now();
      const queued = await updateOutbox(config.stateDir, (file) => {
        pruneSinks(file, settings.sinks.map((s) => s.name));
        for (const id of Object.keys(file.memory)) if (!config.certificates.some((c) => c.id === id)) delete file.memory[id];
        const all: QueuedEvent[] = [];
        for (const fact of facts) {
          const { events, memory } = deriveNotifications(file.memory[fact.id] ?? null, fact, nowMs, { expiringBeforeMs: settings.expiringBeforeMs, repeatMs: settings.repeatMs });
          file.memory[fact.id] = memory;
          all.push(...events.map((event: NotificationEvent) => ({ ...event, eventId: randomUUID(), host })));
        }
        for (const entry of settings.sinks) {
          enqueue(file, entry.name, all.filter((event) => entry.events.includes(event.type)), Date.now());
        }
        return all;
      });
      for (const event of queued) logger.info('notification.queued', { type: event.type, id: event.certificateId, eventId: event.eventId, summary: event.summary });
      return queued;
    } catch (error) {
      logger.error('notification.queue_failed', { error: errorToJson(error) });
      return [];
    }
  };

  return {
    enabled,
    afterPass: async (result) => (enabled ? queue(await factsFromPass(result, store).catch(() => [])) : []),
    afterFacts: queue,
    async deliver({ untilMs, signal }) {
      const total: DrainReport = { delivered: 0, failed: 0 };
      if (!enabled) return total;
      const reports = await Promise.all(
        sinks.map((sink) =>
          delivery.drainSink(sink, { untilMs, ...(signal ? { signal } : {}) }).catch((error: unknown) => {
            logger.error('notification.delivery_error', { sink: sink.name, error: errorToJson(error) });
            return { delivered: 0, failed: 1 };
          }),
        ),
      );
      for (const r of reports) {
        total.delivered += r.delivered;
        total.failed += r.failed;
      }
      return total;
    },
    async nextThresholdAt(facts) {
      if (!enabled) return null;
      const file = await readOutbox(config.stateDir);
      const nowMs = now();
      const instants = facts
        .map((f) => nextThresholdAt(f, file.memory[f.id] ?? null, nowMs, { expiringBeforeMs: settings.expiringBeforeMs, repeatMs: settings.repeatMs }))
        .filter((at): at is number => at !== null);
      return instants.length === 0 ? null : Math.min(...instants);
    },
    kick() {
      if (!enabled || background.signal.aborted) return;
      for (const sink of sinks) {
        dirty.add(sink.name);
        if (running.has(sink.name)) continue;
        dirty.delete(sink.name);
        const wake = (): boolean => dirty.delete(sink.name);
        const drain = delivery
          .drainSink(sink, { untilMs: Number.POSITIVE_INFINITY, signal: background.signal }, wake)
          .catch((error: unknown) => logger.error('notification.delivery_error', { sink: sink.name, error: errorToJson(error) }))
          .finally(() => running.delete(sink.name));
        running.set(sink.name, drain);
      }
    },
    async stop(waitMs) {
      background.abort();
      const all = Promise.all(running.values());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    },
    async close() {
      await Promise.all(sinks.map((sink) => sink.close?.()));
    },
  };
}
