// Drains the outbox: per sink, the head event is claimed, delivered and acknowledged, or released
// with a backoff — in order, one at a time, never inside a pass (the service runs it in the
// background, one-shot commands for a bounded time after their pass). A failing sink is logged and
// retried; it never fails anything else.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { NotificationSink } from './notificationSink.js';
import { readOutbox, updateOutbox } from './notificationOutbox.js';
import { acknowledge, claimHead, nextDueAt, release } from './outboxModel.js';

export interface DeliveryOptions {
  stateDir: string;
  logger: Logger;
  backoff: { initialMs: number; maxMs: number };
  /** How long a claim keeps others off an event being delivered (the sink's timeout and then some). */
  leaseMs: (sink: NotificationSink) => number;
  now?: () => number;
}

export interface DrainOptions {
  /** Epoch ms: stop waiting for retries after this (Infinity: the service). */
  untilMs: number;
  signal?: AbortSignal;
}

export interface DrainReport {
  delivered: number;
  failed: number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, Math.min(ms, 30_000)));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

const ABORTED = Symbol('aborted');

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

export class NotificationDelivery {
  /** `<pid>@<host>:<random>`: lets another process on this host see that the claimer died. */
  private readonly token = `${process.pid}@${hostname()}:${randomBytes(6).toString('hex')}`;
  private readonly now: () => number;

  constructor(private readonly options: DeliveryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Delivers what is due for `sink` until its queue is empty, or until `untilMs` while retries wait. */
  async drainSink(sink: NotificationSink, drain: DrainOptions, wake?: () => boolean): Promise<DrainReport> {
    const { stateDir, logger } = this.options;
    const report: DrainReport = { delivered: 0, failed: 0 };
    while (!drain.signal?.aborted) {
      const nowMs = this.now();
      const item = await updateOutbox(stateDir, (file) => {
        const claimed = claimHead(file, sink.name, nowMs, this.token, this.options.leaseMs(sink), claimHolderGone);
        return claimed ? structuredClone(claimed) : null;
      });
      if (item === null) {
        const due = nextDueAt(await readOutbox(stateDir), sink.name);
        if (due === null) {
          if (wake?.()) continue;
          return report;
        }
        if (due > drain.untilMs) return report;
        await sleep(due - this.now(), drain.signal);
        continue;
      }
      const { event } = item;
      const started = this.now();
      try {
        // An interrupt does not wait for the sink: the claim stays, and whoever runs next delivers
        // the event again once it sees this process gone (at-least-once for the event in flight).
        if ((await untilAborted(sink.deliver(event, drain.signal), drain.signal)) === ABORTED) return report;
      } catch (error) {
        if (drain.signal?.aborted) return report;
        const message = (error as Error).message;
        const released = await updateOutbox(stateDir, (file) => release(file, sink.name, event.eventId, this.now(), message, this.options.backoff));
        report.failed += 1;
        logger.warn('notification.failed', {
          sink: sink.name,
          type: event.type,
          id: event.certificateId,
          eventId: event.eventId,
          attempts: released?.attempts ?? item.attempts + 1,
          nextAttemptAt: released ? new Date(released.nextAttemptAtMs).toISOString() : null,
          error: message,
        });
        continue;
      }
      await updateOutbox(stateDir, (file) => acknowledge(file, sink.name, event.eventId));
      report.delivered += 1;
      logger.info('notification.delivered', { sink: sink.name, type: event.type, id: event.certificateId, eventId: event.eventId, attempts: item.attempts + 1, durationMs: this.now() - started });
    }
    return report;
  }
}

/**
 * True when the (foreign) token names a process on this host that no longer exists. A foreign
 * token with our own pid is an earlier process that had the same pid: gone too.
 */
export function claimHolderGone(token: string): boolean {
  const match = /^(\d+)@([^:]*):/.exec(token);
  if (!match || match[2] !== hostname()) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
