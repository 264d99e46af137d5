// One line per failure: a one-shot command's result line already names the endpoints it tried and
// why each failed, so the log events that say the same (a policy server failed, no policy, the
// certificate failed, the CA denied) are held back while the pass runs. When the result reports a
// failure they are dropped; when it does not (a failover that then succeeded), they are written as
// they were, before the result. Routine events the result line states anyway (the policy was
// fetched, the certificate committed) are left out. Every other event goes straight through.
import type { LogFields, Logger } from './logger.js';

/** Events whose content a one-shot command's result line repeats. */
export const REPORTED_IN_RESULT = new Set([
  'policy.server_failed',
  'policy.unavailable',
  'policy.using_cache',
  'ces.endpoint_failed',
  'certificate.failed',
  'request.denied',
]);

/** Routine events a one-shot command's result line states anyway. */
export const STATED_BY_RESULT = new Set(['policy.fetched', 'policy.not_changed', 'policy.cached', 'certificate.committed']);

export interface DeferredLogger extends Logger {
  /** Writes the held events (drop = false) or forgets them (drop = true). */
  release(drop: boolean): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

export function deferReported(inner: Logger, events: ReadonlySet<string> = REPORTED_IN_RESULT): DeferredLogger {
  const held: (() => void)[] = [];
  const wrap = (target: Logger): Logger => {
    const log = (level: Level) => (event: string, fields?: LogFields) => {
      if (events.has(event)) held.push(() => target[level](event, fields));
      else if (!STATED_BY_RESULT.has(event)) target[level](event, fields);
    };
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (fields) => wrap(target.child(fields)) };
  };
  return {
    ...wrap(inner),
    release(drop) {
      const pending = held.splice(0);
      if (!drop) for (const write of pending) write();
    },
  };
}
