// Acceptance: `autoenroll run` (the built CLI) killed with SIGKILL while a webhook delivery is in
// flight (the receiver accepted the request and stalls). After a restart no event is lost, and
// the only one delivered twice is the one that was in flight (at-least-once); the restarted
// service announces nothing new (what was announced is durable).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startWebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import type { WebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import { useRunFixture } from './runHelpers.js';

const waitFor = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe.skipIf(process.platform === 'win32')('autoenroll run: killed during a notification delivery', () => {
  const run = useRunFixture();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    const pki = path.join(run.lab.work, 'lab', 'pki');
    receiver = await startWebhookReceiver({ certPem: readFileSync(path.join(pki, 'tls-server.pem'), 'utf8'), keyPem: readFileSync(path.join(pki, 'tls-server.key'), 'utf8') });
  });
  afterAll(async () => receiver?.close());

  it('loses no event and repeats only the one in flight', async () => {
    const config = run.lab.writeConfig('notify-kill', { id: 'first', template: 'SvcLong' }, {
      notifications: { retry: { initial: '1s', max: '5s' }, sinks: [{ name: 'chat', webhook: { url: receiver.url, timeout: '60s' } }] },
    });
    // A second certificate: two events queued by the first pass.
    const doc = parse(readFileSync(config, 'utf8')) as { certificates: Array<Record<string, unknown>> };
    const second = structuredClone(doc.certificates[0]!);
    Object.assign(second, { id: 'second', subject: 'CN=second.lab.test', dns: ['second.lab.test'], output: { cert: './out/second.pem', key: './out/second.key' } });
    doc.certificates.push(second);
    writeFileSync(config, stringify(doc));

    receiver.mode = 'stall';
    const first = run.startService(config);
    await first.waitForEvent('notification.queued', 60_000, 2);
    await waitFor('the first delivery to reach the receiver', () => receiver.received.length >= 1, 30_000);
    const queued = first.events().filter((e) => e.event === 'notification.queued');
    expect(queued.map((e) => e.type)).toEqual(['installed', 'installed']);
    expect(first.events().filter((e) => e.event === 'notification.delivered')).toEqual([]);
    // The stalled delivery runs beside the service: its pass finished regardless.
    expect((await first.waitForEvent('pass.finished', 15_000)).exitCode).toBe(0);
    const inFlight = receiver.received[0]!.eventId;
    expect(await first.stop('SIGKILL')).toBeNull();

    receiver.mode = 'ok';
    const restarted = run.startService(config);
    await restarted.waitForEvent('notification.delivered', 30_000, 2);
    await restarted.waitForEvent('service.started', 10_000);
    // Its first pass found both certificates installed and announced: nothing new to queue.
    await restarted.waitForEvent('pass.finished', 30_000);
    expect(await restarted.stop('SIGTERM')).toBe(0);
    expect(restarted.events().filter((e) => e.event === 'notification.queued')).toEqual([]);

    const ids = receiver.received.map((e) => e.eventId);
    const queuedIds = queued.map((e) => e.eventId);
    for (const id of queuedIds) expect(ids).toContain(id);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicates.length).toBeLessThanOrEqual(1);
    for (const id of duplicates) expect(id).toBe(inFlight);
    expect(ids.filter((id) => !queuedIds.includes(id))).toEqual([]);
    const outbox = JSON.parse(readFileSync(path.join(path.dirname(config), 'state/notifications.json'), 'utf8')) as { queues: Record<string, unknown[]> };
    expect(outbox.queues.chat).toEqual([]);
    // The service's metrics: the exporter-style families and the outbox length.
    const metrics = readFileSync(path.join(path.dirname(config), 'state/metrics.prom'), 'utf8');
    expect(metrics).toMatch(/^autoenroll_certificate_not_after_timestamp_seconds\{id="first"\} \d{10}$/m);
    expect(metrics).toMatch(/^autoenroll_certificate_renewal_due_timestamp_seconds\{id="second"\} \d{10}$/m);
    expect(metrics).toContain('autoenroll_certificate_failure_streak{id="first"} 0');
    expect(metrics).toMatch(/^autoenroll_notification_queue_length\{sink="chat"\} \d+$/m);
    console.log(`[notify-kill] received ${ids.length} deliveries for ${queuedIds.length} events (${duplicates.length} duplicate: the one in flight)`);
  }, 150_000);
});
