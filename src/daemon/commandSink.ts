// The command notification sink: the configured argv, run without a shell through the deploy
// hooks' spawn code (runHookCommand, hookEnvironment: same process group, timeout, kill and
// environment rules), with the event as JSON on stdin and as AUTOENROLL_* variables. Exit 0 is a
// delivery; anything else is retried.
import type { CommandSinkConfig } from '../config/notificationTypes.js';
import { hookEnvironment, runHookCommand } from './hooks.js';
import { DeliveryFailed } from './notificationSink.js';
import type { NotificationSink } from './notificationSink.js';
import type { QueuedEvent } from './outboxModel.js';

/** The AUTOENROLL_* variables of a notification (documented in docs/configuration.md). */
export function notificationEnvironment(event: QueuedEvent): Record<string, string> {
  const text = (value: string | number | null | undefined): string => (value === null || value === undefined ? '' : String(value));
  return {
    AUTOENROLL_EVENT: event.type,
    AUTOENROLL_EVENT_ID: event.eventId,
    AUTOENROLL_ID: event.certificateId,
    AUTOENROLL_HOST: event.host,
    AUTOENROLL_AT: event.at,
    AUTOENROLL_SUMMARY: event.summary,
    AUTOENROLL_STATUS: event.status,
    AUTOENROLL_THUMBPRINT: text(event.thumbprint),
    AUTOENROLL_OLD_THUMBPRINT: text(event.previousThumbprint),
    AUTOENROLL_SERIAL: text(event.serial),
    AUTOENROLL_NOT_AFTER: text(event.notAfter),
    AUTOENROLL_RENEW_AT: text(event.renewAt),
    AUTOENROLL_GENERATION: text(event.generation),
    AUTOENROLL_FAILURES: String(event.consecutiveFailures),
    AUTOENROLL_ERROR_CODE: text(event.error?.code),
    AUTOENROLL_ERROR_MESSAGE: text(event.error?.message),
    AUTOENROLL_REQUEST_ID: text(event.pending?.requestId),
    AUTOENROLL_CA: text(event.pending?.ca),
    AUTOENROLL_PENDING_SECONDS: text(event.pending?.ageSeconds),
    AUTOENROLL_THRESHOLD_SECONDS: text(event.thresholdSeconds),
    AUTOENROLL_SECONDS_LEFT: text(event.secondsLeft),
  };
}

export function createCommandSink(name: string, config: CommandSinkConfig, baseEnv?: NodeJS.ProcessEnv): NotificationSink {
  const label = config.argv.join(' ');
  return {
    name,
    async deliver(event) {
      const run = await runHookCommand(label, {
        shell: false,
        argv: config.argv,
        timeoutMs: config.timeoutMs,
        env: hookEnvironment(notificationEnvironment(event), baseEnv),
        stdin: `${JSON.stringify(event)}\n`,
      });
      if (run.exitCode === 0 && !run.timedOut && run.spawnError === undefined) return;
      const why = run.spawnError
        ? `could not be started (${run.spawnError})`
        : run.timedOut
          ? `timed out after ${config.timeoutMs} ms and was killed`
          : run.signal
            ? `was killed by ${run.signal}`
            : `exited with status ${run.exitCode}`;
      throw new DeliveryFailed(`command ${config.argv[0]} ${why}${run.outputTail ? `: ${run.outputTail.slice(-300)}` : ''}`);
    },
  };
}
