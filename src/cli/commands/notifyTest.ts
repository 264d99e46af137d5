// `autoenroll notify test [--event NAME] [--id ID]`: sends one sample event through every
// configured sink at once (not through the outbox: nothing is queued or retried) and prints what
// each sink said. The sample carries the certificate's real facts when it has one, and
// `"test": true`. Exit 0 when every sink accepted it, 3 when one did not, 4 without sinks.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { NOTIFICATION_EVENTS } from '../../engine/notificationEvents.js';
import type { NotificationEventType } from '../../engine/notificationEvents.js';
import { buildSink } from '../../daemon/notifications.js';
import type { QueuedEvent } from '../../daemon/outboxModel.js';
import { ExitCode, UsageError } from '../../errors.js';
import { openStore } from '../../store/index.js';
import { loadCommandConfig } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

export interface NotifyTestOptions {
  event?: string;
  id?: string;
}

const SAMPLE_TIMEOUT_MS = 30_000;

export async function run(options: NotifyTestOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const config = await loadCommandConfig(context);
  const type = (options.event ?? 'renewal-failing') as NotificationEventType;
  if (!NOTIFICATION_EVENTS.includes(type)) throw new UsageError(`--event expects one of ${NOTIFICATION_EVENTS.join(', ')}, got "${options.event}"`, 'USAGE');
  if (options.id !== undefined && !config.certificates.some((c) => c.id === options.id)) {
    throw new UsageError(`no certificate with id "${options.id}" in ${config.file} (known: ${config.certificates.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
  }
  if (config.notifications.sinks.length === 0) throw new UsageError(`${config.file} configures no notification sinks (notifications.sinks)`, 'NO_SINKS');
  const id = options.id ?? config.certificates[0]?.id ?? 'example';
  const event = await sampleEvent(type, id, config.stateDir);

  const results = await Promise.all(
    config.notifications.sinks.map(async (entry) => {
      const sink = buildSink(entry, config, context.env);
      const started = Date.now();
      try {
        await sink.deliver(event, AbortSignal.any([context.signal, AbortSignal.timeout(SAMPLE_TIMEOUT_MS)]));
        return { sink: entry.name, kind: entry.sink.kind, ok: true, error: null as string | null, filtered: !entry.events.includes(type), durationMs: Date.now() - started };
      } catch (error) {
        return { sink: entry.name, kind: entry.sink.kind, ok: false, error: (error as Error).message, filtered: !entry.events.includes(type), durationMs: Date.now() - started };
      } finally {
        await sink.close?.();
      }
    }),
  );
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ event, sinks: results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const note = r.filtered ? ` (its events filter would not pass ${type} in real use)` : '';
      context.stdout.write(r.ok ? `${r.sink} (${r.kind}): delivered ${type} in ${r.durationMs} ms${note}\n` : `${r.sink} (${r.kind}): FAILED: ${r.error}\n`);
    }
  }
  return results.every((r) => r.ok) ? ExitCode.OK : ExitCode.UNREACHABLE;
}

async function sampleEvent(type: NotificationEventType, id: string, stateDir: string): Promise<QueuedEvent & { test: true }> {
  const current = await openStore(stateDir)
    .certificate(id)
    .currentMeta()
    .catch(() => null);
  const now = Date.now();
  const notAfter = current?.meta.notAfter ?? new Date(now + 86400_000).toISOString();
  return {
    type,
    certificateId: id,
    at: new Date(now).toISOString(),
    summary: `${id}: test notification (${type}) sent by "autoenroll notify test"`,
    status: type === 'pending-approval' ? 'PENDING' : type === 'expired' ? 'EXPIRED' : type === 'renewal-failing' ? 'BACKING_OFF' : type === 'needs-attention' ? 'NEEDS_ATTENTION' : 'VALID',
    thumbprint: current?.meta.thumbprintSha1 ?? null,
    previousThumbprint: null,
    serial: current?.meta.serialHex ?? null,
    notAfter,
    renewAt: null,
    generation: current?.number ?? null,
    consecutiveFailures: type === 'renewal-failing' ? 1 : 0,
    error: type === 'renewal-failing' || type === 'needs-attention' ? { code: 'TEST', message: 'a sample error for testing notifications' } : null,
    pending: type === 'pending-approval' ? { requestId: '0', ca: 'TEST-CA', endpoint: 'https://ces.example.invalid/CES', submittedAt: new Date(now).toISOString(), ageSeconds: 0 } : null,
    thresholdSeconds: type === 'expiring' ? 86400 : null,
    secondsLeft: type === 'expiring' || type === 'expired' ? Math.round((Date.parse(notAfter) - now) / 1000) : null,
    repeated: false,
    eventId: randomUUID(),
    host: hostname(),
    test: true,
  };
}
