// `autoenroll run` (the built CLI) announces expiry thresholds as they are crossed, between passes:
// a 120 s certificate with thresholds 110 s and 100 s gives two `expiring` events within its first
// ~25 s, while the next pass (the renewal, 80 s in) is not due yet.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import type { WebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import { useRunFixture } from './runHelpers.js';

describe.skipIf(process.platform === 'win32')('autoenroll run: expiry thresholds between passes', () => {
  const run = useRunFixture();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    const pki = path.join(run.lab.work, 'lab', 'pki');
    receiver = await startWebhookReceiver({ certPem: readFileSync(path.join(pki, 'tls-server.pem'), 'utf8'), keyPem: readFileSync(path.join(pki, 'tls-server.key'), 'utf8') });
  });
  afterAll(async () => receiver?.close());

  it('wakes for each threshold and announces it once', async () => {
    const config = run.lab.writeConfig('notify-expiry', { id: 'svc', template: 'SvcKBR' }, {
      notifications: { expiringBefore: ['110s', '100s'], sinks: [{ name: 'chat', webhook: { url: receiver.url, timeout: '10s' } }] },
    });
    const service = run.startService(config);
    await service.waitForEvent('notification.delivered', 60_000, 3);
    const passes = service.events().filter((e) => e.event === 'pass.started').length;
    expect(await service.stop('SIGTERM')).toBe(0);

    const events = receiver.received.filter((e) => e.certificateId === 'svc');
    expect(events.map((e) => e.type)).toEqual(['installed', 'expiring', 'expiring']);
    expect(events.slice(1).map((e) => e.thresholdSeconds)).toEqual([110, 100]);
    const notAfter = Date.parse(events[0]!.notAfter as string);
    for (const [i, threshold] of [110, 100].entries()) {
      const at = Date.parse(events[i + 1]!.at as string);
      // Announced once the threshold was crossed, and not long after (the timer, not a later pass).
      expect(at).toBeGreaterThanOrEqual(notAfter - threshold * 1000 - 1000);
      expect(at).toBeLessThan(notAfter - threshold * 1000 + 8000);
    }
    // Only the start pass ran: the renewal window (40 s before notAfter) was still closed.
    expect(passes).toBe(1);
  }, 120_000);
});
