// The webhook notification sink: an HTTPS POST of the event as JSON (undici). TLS is verified
// against the sink's caFile, else trust.caFile, else the system store — never switched off. Every
// attempt is bounded by the sink's timeout; a 2xx answer is a delivery, anything else is retried
// by the outbox with backoff. The URL may carry a token (chat services put one in the path), so
// logs and errors name only its origin.
import { readFile } from 'node:fs/promises';
import type { WebhookSinkConfig } from '../config/notificationTypes.js';
import { Agent } from '../transport/undiciAgent.js';
import { DeliveryFailed } from './notificationSink.js';
import type { NotificationSink } from './notificationSink.js';

export interface WebhookSinkOptions {
  /** trust.caFile of the configuration, used when the sink names no caFile of its own. */
  trustCaFile?: string;
  userAgent?: string;
}

export function createWebhookSink(name: string, config: WebhookSinkConfig, options: WebhookSinkOptions = {}): NotificationSink {
  const url = new URL(config.url);
  const origin = url.origin;
  const caFile = config.caFile ?? options.trustCaFile;
  let agent: Agent | undefined;
  const agentFor = async (): Promise<Agent> => {
    if (agent) return agent;
    let ca: string | undefined;
    if (caFile !== undefined) {
      try {
        ca = await readFile(caFile, 'utf8');
      } catch (error) {
        throw new DeliveryFailed(`webhook ${origin}: cannot read the CA bundle ${caFile}: ${(error as Error).message}`);
      }
    }
    agent = new Agent({
      connect: { ...(ca !== undefined ? { ca } : {}), timeout: config.timeoutMs, rejectUnauthorized: true },
      // The deadline is the AbortSignal below (undici's own timers overshoot); these only back it up.
      headersTimeout: config.timeoutMs + 5_000,
      bodyTimeout: config.timeoutMs + 5_000,
      connections: 2,
    });
    return agent;
  };
  return {
    name,
    async deliver(event, signal) {
      const dispatcher = await agentFor();
      const timeout = AbortSignal.timeout(config.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let status: number;
      try {
        const response = await dispatcher.request({
          origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': options.userAgent ?? 'autoenroll',
            'x-autoenroll-event': event.type,
            'x-autoenroll-event-id': event.eventId,
          },
          body: JSON.stringify(event),
          signal: combined,
        });
        status = response.statusCode;
        await response.body.dump().catch(() => undefined);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const timedOut = timeout.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
        const cause = timedOut ? `no answer within ${config.timeoutMs} ms` : describeError(error);
        throw new DeliveryFailed(`webhook ${origin}: ${cause}`);
      }
      if (status < 200 || status > 299) throw new DeliveryFailed(`webhook ${origin}: HTTP ${status}`);
    },
    async close() {
      // destroy, not close: close() would wait for a delivery still in flight to a stalling receiver
      // (up to its timeout); that delivery stays claimed in the outbox and is retried later.
      await agent?.destroy().catch(() => undefined);
      agent = undefined;
    },
  };
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(error);
  return code ? `${message} (${code})` : message;
}
