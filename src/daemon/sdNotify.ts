// systemd readiness (Type=notify): READY=1 once the control socket listens, STATUS= after each
// pass, STOPPING=1 on shutdown. $NOTIFY_SOCKET is a Unix *datagram* socket and Node cannot send
// datagrams on Unix sockets (node:dgram is UDP only; the `sd-notify` npm package does not build
// here), so each message is handed to systemd's own `systemd-notify` tool with --pid set to this
// process. systemd-notify (v246+) waits until the manager has processed the message.
//
// The unit uses NotifyAccess=all, not main: the message comes from the systemd-notify child, and
// attributing it to our pid with --pid needs CAP_SYS_ADMIN, which the unit's empty
// CapabilityBoundingSet= removes (the manager would then see the child's pid and drop it under
// NotifyAccess=main). Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
import { execFile } from 'node:child_process';
import type { Logger } from '../log/logger.js';

export interface Notifier {
  readonly enabled: boolean;
  ready(status: string): Promise<void>;
  status(status: string): Promise<void>;
  stopping(): Promise<void>;
}

export interface NotifierOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The systemd-notify binary (default: found on PATH). */
  command?: string;
  pid?: number;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const socket = options.env.NOTIFY_SOCKET;
  const enabled = typeof socket === 'string' && socket !== '';
  const command = options.command ?? 'systemd-notify';
  const pid = options.pid ?? process.pid;
  let warned = false;

  const send = (assignments: string[]): Promise<void> => {
    if (!enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile(command, [`--pid=${pid}`, ...assignments], { env: options.env, timeout: 5_000 }, (error, _stdout, stderr) => {
        if (error && !warned) {
          warned = true;
          options.logger.warn('systemd.notify_failed', {
            message: `${command} failed: ${stderr.trim() || error.message}; systemd will not see readiness or status`,
          });
        }
        resolve();
      });
    });
  };

  return {
    enabled,
    ready: (status) => send(['READY=1', `STATUS=${oneLine(status)}`]),
    status: (status) => send([`STATUS=${oneLine(status)}`]),
    stopping: () => send(['STOPPING=1', 'STATUS=stopping']),
  };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
