import { describe, expect, it } from 'vitest';
import { acknowledge, claimHead, emptyOutbox, enqueue, MAX_QUEUE, nextDueAt, pruneSinks, release, retryDelayMs } from '../../src/daemon/outboxModel.js';
import type { QueuedEvent } from '../../src/daemon/outboxModel.js';

const event = (eventId: string): QueuedEvent =>
  ({ eventId, host: 'h', type: 'installed', certificateId: 'web', at: '2026-01-01T00:00:00.000Z', summary: 's' }) as unknown as QueuedEvent;
const backoff = { initialMs: 1000, maxMs: 8000 };

describe('notification outbox (pure)', () => {
  it('delivers in order: only the head is claimed, acknowledged events leave the queue', () => {
    const file = emptyOutbox();
    enqueue(file, 'chat', [event('a'), event('b')], 0);
    expect(claimHead(file, 'chat', 0, 'me', 5000)?.event.eventId).toBe('a');
    acknowledge(file, 'chat', 'a');
    expect(claimHead(file, 'chat', 0, 'me', 5000)?.event.eventId).toBe('b');
    acknowledge(file, 'chat', 'b');
    expect(claimHead(file, 'chat', 0, 'me', 5000)).toBeNull();
    expect(nextDueAt(file, 'chat')).toBeNull();
  });

  it('a claim keeps other processes off until its lease ends or its holder is gone', () => {
    const file = emptyOutbox();
    enqueue(file, 'chat', [event('a')], 0);
    claimHead(file, 'chat', 0, 'one', 5000);
    expect(claimHead(file, 'chat', 1000, 'two', 5000)).toBeNull();
    expect(claimHead(file, 'chat', 1000, 'two', 5000, (token) => token === 'one')?.claim?.token).toBe('two');
    expect(claimHead(file, 'chat', 2000, 'three', 5000)).toBeNull();
    expect(claimHead(file, 'chat', 6001, 'three', 5000)?.claim?.token).toBe('three');
    expect(nextDueAt(file, 'chat')).toBe(11_001);
  });

  it('a failed delivery is due again after an exponential backoff, capped', () => {
    expect([1, 2, 3, 4, 5, 40].map((n) => retryDelayMs(n, backoff))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    const file = emptyOutbox();
    enqueue(file, 'chat', [event('a')], 0);
    claimHead(file, 'chat', 0, 'me', 5000);
    expect(release(file, 'chat', 'a', 100, 'HTTP 503', backoff)).toMatchObject({ attempts: 1, nextAttemptAtMs: 1100, claim: null, lastError: 'HTTP 503' });
    expect(claimHead(file, 'chat', 1099, 'me', 5000)).toBeNull();
    expect(claimHead(file, 'chat', 1100, 'me', 5000)).not.toBeNull();
    expect(release(file, 'chat', 'a', 1200, 'HTTP 503', backoff)?.nextAttemptAtMs).toBe(3200);
    expect(release(file, 'chat', 'gone', 1200, 'x', backoff)).toBeNull();
  });

  it('sinks are independent; a full queue drops its oldest events and counts them', () => {
    const file = emptyOutbox();
    enqueue(file, 'chat', [event('a')], 0);
    enqueue(file, 'hook', [event('a')], 0);
    acknowledge(file, 'chat', 'a');
    expect(file.queues.hook).toHaveLength(1);
    enqueue(file, 'big', Array.from({ length: MAX_QUEUE + 5 }, (_, i) => event(`e${i}`)), 0);
    expect(file.queues.big).toHaveLength(MAX_QUEUE);
    expect(file.queues.big![0]!.event.eventId).toBe('e5');
    expect(file.dropped.big).toBe(5);
  });

  it('queues of sinks no longer configured are dropped', () => {
    const file = emptyOutbox();
    enqueue(file, 'old', [event('a')], 0);
    enqueue(file, 'chat', [event('a')], 0);
    expect(pruneSinks(file, ['chat'])).toEqual(['old']);
    expect(Object.keys(file.queues)).toEqual(['chat']);
  });
});
