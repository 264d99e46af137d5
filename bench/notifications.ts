// Notifications: the pure derivation for a large fleet of certificates on one host, queueing a
// pass's events (lock + read + atomic write of stateDir/notifications.json), and a delivery
// through the command sink (/bin/true: the spawn cost). Run with `npm run bench -- notifications`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCommandSink } from '../src/daemon/commandSink.js';
import { NotificationDelivery } from '../src/daemon/notificationDelivery.js';
import { updateOutbox } from '../src/daemon/notificationOutbox.js';
import { enqueue } from '../src/daemon/outboxModel.js';
import type { QueuedEvent } from '../src/daemon/outboxModel.js';
import { deriveNotifications } from '../src/engine/notificationEvents.js';
import type { CertificateFacts, NotificationMemory } from '../src/engine/notificationEvents.js';
import { silentLogger } from '../src/log/logger.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

const DAY = 86_400_000;
const settings = { expiringBeforeMs: [7 * DAY, DAY], repeatMs: DAY };

function facts(i: number, now: number): CertificateFacts {
  return {
    id: `cert-${i}`,
    status: i % 3 === 0 ? 'BACKING_OFF' : 'VALID',
    thumbprint: `T${i}`,
    serial: String(i),
    notAfterMs: now + (i % 10) * DAY,
    notBeforeMs: now - 300 * DAY,
    renewAtMs: now,
    generation: 1,
    previousThumbprint: null,
    installedThisPass: false,
    consecutiveFailures: i % 3 === 0 ? 2 : 0,
    error: i % 3 === 0 ? { code: 'UNREACHABLE', message: 'every endpoint failed' } : null,
    attentionMessage: null,
    pending: null,
  };
}

export async function run(): Promise<BenchResult[]> {
  const now = Date.now();
  const fleet = Array.from({ length: 1000 }, (_, i) => facts(i, now));
  let memory: Array<NotificationMemory | null> = fleet.map(() => null);
  const derive = await sample(() => {
    memory = fleet.map((f, i) => deriveNotifications(memory[i] ?? null, f, now, settings).memory);
  }, 30);

  const stateDir = mkdtempSync(path.join(tmpdir(), 'ae-bench-notify-'));
  const event = (n: number): QueuedEvent => ({ ...deriveNotifications(null, facts(0, now), now, settings).events[0]!, eventId: `e${n}`, host: 'bench' });
  let n = 0;
  const queue = await sample(
    () =>
      updateOutbox(stateDir, (file) => {
        enqueue(file, 'hook', [event(n++), event(n++)], Date.now());
      }),
    30,
  );

  const sink = createCommandSink('hook', { kind: 'command', argv: ['/bin/true'], timeoutMs: 10_000 });
  const delivery = new NotificationDelivery({ stateDir, logger: silentLogger, backoff: { initialMs: 1000, maxMs: 1000 }, leaseMs: () => 20_000 });
  const started = performance.now();
  const report = await delivery.drainSink(sink, { untilMs: Date.now() + 60_000 });
  const perEvent = (performance.now() - started) / Math.max(1, report.delivered);

  return [
    { name: 'derive events, 1000 certificates', medianMs: median(derive), budgetMs: 20 },
    { name: 'queue a pass\'s events (lock, read, atomic write)', medianMs: median(queue), budgetMs: 30, note: `${n} events queued in all` },
    { name: 'deliver one event through the command sink (/bin/true)', medianMs: perEvent, budgetMs: 100, note: `${report.delivered} delivered, each claimed and acknowledged` },
  ];
}
