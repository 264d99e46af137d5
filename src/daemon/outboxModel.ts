// The notification outbox as plain data, and its transitions (pure). One queue per sink, in event
// order; the event at a queue's head is claimed (with a lease) by the process delivering it, then
// acknowledged (removed) or released with a backoff. A claim whose lease ran out — its process was
// killed mid-delivery — is simply due again: the one event in flight may be delivered twice,
// nothing is lost. The memory of what was announced lives in the same file, so deriving events and
// queueing them is one atomic write.
import type { NotificationEvent, NotificationMemory } from '../engine/notificationEvents.js';

export const OUTBOX_SCHEMA_VERSION = 1 as const;
/** Oldest events are dropped beyond this many per sink (a sink down for months must not fill the disk). */
export const MAX_QUEUE = 1000;

export interface QueuedEvent extends NotificationEvent {
  /** Unique per event; receivers can use it to drop the duplicate of an at-least-once retry. */
  eventId: string;
  host: string;
}

export interface OutboxItem {
  event: QueuedEvent;
  attempts: number;
  /** Epoch ms: not before. */
  nextAttemptAtMs: number;
  claim: { token: string; untilMs: number } | null;
  lastError: string | null;
}

export interface OutboxFile {
  schemaVersion: typeof OUTBOX_SCHEMA_VERSION;
  /** Per certificate id. */
  memory: Record<string, NotificationMemory>;
  /** Per sink name. */
  queues: Record<string, OutboxItem[]>;
  /** Events dropped per sink because its queue was full. */
  dropped: Record<string, number>;
}

export function emptyOutbox(): OutboxFile {
  return { schemaVersion: OUTBOX_SCHEMA_VERSION, memory: {}, queues: {}, dropped: {} };
}

export function enqueue(file: OutboxFile, sink: string, events: readonly QueuedEvent[], nowMs: number): void {
  if (events.length === 0) return;
  const queue = [...(file.queues[sink] ?? []), ...events.map((event) => ({ event, attempts: 0, nextAttemptAtMs: nowMs, claim: null, lastError: null }))];
  const excess = queue.length - MAX_QUEUE;
  if (excess > 0) {
    queue.splice(0, excess);
    file.dropped[sink] = (file.dropped[sink] ?? 0) + excess;
  }
  file.queues[sink] = queue;
}

/**
 * Claims the head of the sink's queue when it is due and not claimed by a live lease. `holderGone`
 * says a claim's process is known to be dead (killed mid-delivery): its lease is void at once.
 */
export function claimHead(
  file: OutboxFile,
  sink: string,
  nowMs: number,
  token: string,
  leaseMs: number,
  holderGone: (token: string) => boolean = () => false,
): OutboxItem | null {
  const head = file.queues[sink]?.[0];
  if (!head) return null;
  if (head.nextAttemptAtMs > nowMs) return null;
  if (head.claim && head.claim.untilMs > nowMs && head.claim.token !== token && !holderGone(head.claim.token)) return null;
  head.claim = { token, untilMs: nowMs + leaseMs };
  return head;
}

/** Delivered: removes the event (wherever it is in the queue). */
export function acknowledge(file: OutboxFile, sink: string, eventId: string): void {
  const queue = file.queues[sink];
  if (!queue) return;
  file.queues[sink] = queue.filter((item) => item.event.eventId !== eventId);
}

/** Not delivered: due again after an exponential backoff. */
export function release(file: OutboxFile, sink: string, eventId: string, nowMs: number, error: string, backoff: { initialMs: number; maxMs: number }): OutboxItem | null {
  const item = file.queues[sink]?.find((i) => i.event.eventId === eventId);
  if (!item) return null;
  item.attempts += 1;
  item.claim = null;
  item.lastError = error;
  item.nextAttemptAtMs = nowMs + retryDelayMs(item.attempts, backoff);
  return item;
}

export function retryDelayMs(attempts: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/** When the sink's head is next due (its backoff or its lease), or null for an empty queue. */
export function nextDueAt(file: OutboxFile, sink: string): number | null {
  const head = file.queues[sink]?.[0];
  if (!head) return null;
  return Math.max(head.nextAttemptAtMs, head.claim?.untilMs ?? 0);
}

/** Queues of sinks that are no longer configured are dropped (their events have nowhere to go). */
export function pruneSinks(file: OutboxFile, configured: readonly string[]): string[] {
  const gone = Object.keys(file.queues).filter((name) => !configured.includes(name));
  for (const name of gone) delete file.queues[name];
  return gone;
}
