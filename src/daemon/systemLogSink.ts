// The system log notification sink. Node has no unix datagram sockets, which both the journal's
// native socket and /dev/log are, so the entry is handed to util-linux `logger`, started with an
// empty environment and the entry on stdin (never in argv):
//   - journald: `logger --journald` with one FIELD=value line per field (MESSAGE, PRIORITY,
//     SYSLOG_IDENTIFIER, SYSLOG_FACILITY and AUTOENROLL_* fields, so `journalctl AUTOENROLL_ID=web` works);
//   - syslog: `logger -t TAG -p FACILITY.LEVEL [-u SOCKET]`, one line, RFC 3164 on the local socket.
// mode auto picks journald when its socket exists (a systemd host), else syslog. `logger` exits
// non-zero when it cannot reach the socket (--socket-errors=on): the outbox then retries.
import { existsSync } from 'node:fs';
import type { SystemLogSinkConfig } from '../config/notificationTypes.js';
import type { NotificationEventType } from '../engine/notificationEvents.js';
import { runHookCommand } from './hooks.js';
import { DeliveryFailed } from './notificationSink.js';
import type { NotificationSink } from './notificationSink.js';
import type { QueuedEvent } from './outboxModel.js';

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';
const LOGGER_CANDIDATES = ['/usr/bin/logger', '/bin/logger', '/usr/local/bin/logger'];
const TIMEOUT_MS = 10_000;

/** syslog severities (RFC 5424): what each event means to someone reading the log. */
export const EVENT_PRIORITY: Record<NotificationEventType, { level: string; number: number }> = {
  expired: { level: 'crit', number: 2 },
  'renewal-failing': { level: 'err', number: 3 },
  'needs-attention': { level: 'err', number: 3 },
  expiring: { level: 'warning', number: 4 },
  'pending-approval': { level: 'notice', number: 5 },
  recovered: { level: 'info', number: 6 },
  installed: { level: 'info', number: 6 },
};

const FACILITY_NUMBER: Record<string, number> = {
  user: 1, daemon: 3, auth: 4, authpriv: 10, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

/** The journal entry: FIELD=value lines for `logger --journald`. */
export function journalEntry(event: QueuedEvent, config: Pick<SystemLogSinkConfig, 'facility' | 'tag'>): string {
  const fields: Array<[string, string | number | null | undefined]> = [
    ['MESSAGE', event.summary],
    ['PRIORITY', EVENT_PRIORITY[event.type].number],
    ['SYSLOG_IDENTIFIER', config.tag],
    ['SYSLOG_FACILITY', FACILITY_NUMBER[config.facility] ?? 3],
    ['AUTOENROLL_EVENT', event.type],
    ['AUTOENROLL_EVENT_ID', event.eventId],
    ['AUTOENROLL_ID', event.certificateId],
    ['AUTOENROLL_STATUS', event.status],
    ['AUTOENROLL_THUMBPRINT', event.thumbprint],
    ['AUTOENROLL_NOT_AFTER', event.notAfter],
    ['AUTOENROLL_ERROR_CODE', event.error?.code],
    ['AUTOENROLL_REQUEST_ID', event.pending?.requestId],
    ['AUTOENROLL_FAILURES', event.consecutiveFailures],
  ];
  return `${fields
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${oneLine(String(value))}`)
    .join('\n')}\n`;
}

/** The syslog line: the summary plus the event's type and id, for grep. */
export function syslogLine(event: QueuedEvent): string {
  return `${oneLine(event.summary)} [event=${event.type} id=${event.certificateId} eventId=${event.eventId}]\n`;
}

export function findLogger(candidates: readonly string[] = LOGGER_CANDIDATES): string | null {
  return candidates.find((file) => existsSync(file)) ?? null;
}

export function systemLogMode(config: SystemLogSinkConfig, journalSocket = JOURNAL_SOCKET): 'journald' | 'syslog' {
  if (config.mode !== 'auto') return config.mode;
  return existsSync(journalSocket) ? 'journald' : 'syslog';
}

export function createSystemLogSink(name: string, config: SystemLogSinkConfig, options: { loggerPath?: string } = {}): NotificationSink {
  return {
    name,
    async deliver(event) {
      const logger = options.loggerPath ?? findLogger();
      if (logger === null) throw new DeliveryFailed(`system log: util-linux "logger" was not found (looked in ${LOGGER_CANDIDATES.join(', ')})`);
      const mode = systemLogMode(config);
      const priority = EVENT_PRIORITY[event.type];
      const argv =
        mode === 'journald'
          ? [logger, '--journald']
          : [logger, '-t', config.tag, '-p', `${config.facility}.${priority.level}`, '--socket-errors=on', ...(config.socket ? ['-u', config.socket] : [])];
      const input = mode === 'journald' ? journalEntry(event, config) : syslogLine(event);
      // Spawned with the hook runner's process handling; `logger` needs no environment at all.
      const run = await runHookCommand(argv.join(' '), { shell: false, argv, timeoutMs: TIMEOUT_MS, env: {}, stdin: input });
      if (run.exitCode === 0 && !run.timedOut && run.spawnError === undefined) return;
      const why = run.spawnError ?? (run.timedOut ? 'timed out' : `logger exited with status ${run.exitCode}`);
      throw new DeliveryFailed(`system log (${mode}${config.socket ? ` ${config.socket}` : ''}): ${why}${run.outputTail ? `: ${run.outputTail.slice(-200)}` : ''}`);
    },
  };
}
