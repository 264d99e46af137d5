// Client side of the control socket, for `pulse` and `status`. Every call answers null when no
// service is running (no socket, or nothing listening on it) so callers can fall back to doing the
// work in-process.
import net from 'node:net';
import { InternalError } from '../errors.js';
import { controlSocketPath } from './controlPath.js';
import type { ControlReply, ControlRequest, LiveStatus } from './controlProtocol.js';

export type { LiveStatus } from './controlProtocol.js';

const NO_SERVICE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR']);

export interface ControlCallOptions {
  /** Give up after this long (default 5 s; a waited pulse should pass something longer). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Sends one request to the service for `stateDir`; null when no service is running. */
export function controlRequest(stateDir: string, request: ControlRequest, options: ControlCallOptions = {}): Promise<ControlReply | null> {
  const socketPath = controlSocketPath(stateDir);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    let buffered = '';
    let connected = false;
    let settled = false;
    const socket = net.connect(socketPath);
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      fn();
    };
    const onAbort = (): void => settle(() => reject(new InternalError('control request aborted', 'CONTROL_ABORTED')));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => settle(() => reject(new InternalError(`the service did not answer on ${socketPath} within ${timeoutMs} ms`, 'CONTROL_TIMEOUT'))),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      settle(() => {
        try {
          resolve(JSON.parse(line) as ControlReply);
        } catch {
          reject(new InternalError(`the service sent an unreadable reply on ${socketPath}`, 'CONTROL_BAD_REPLY'));
        }
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && NO_SERVICE.has(error.code ?? '')) settle(() => resolve(null));
      else settle(() => reject(new InternalError(`control socket ${socketPath}: ${error.message}`, 'CONTROL_FAILED')));
    });
    socket.on('end', () => settle(() => reject(new InternalError(`the service closed ${socketPath} without answering`, 'CONTROL_BAD_REPLY'))));
  });
}

/** Live state of the running service, or null when none is running. */
export async function readLiveStatus(stateDir: string, options?: ControlCallOptions): Promise<LiveStatus | null> {
  const reply = await controlRequest(stateDir, { command: 'status' }, options);
  if (reply === null) return null;
  if (!reply.ok) throw new InternalError(`the service refused status: ${reply.error.message}`, reply.error.code);
  return reply.result as LiveStatus;
}

/**
 * Asks the running service for a pass now. Without `wait` it resolves once the service accepted;
 * with it, once the pass finished, with the pass result and its exit code. Null: no service.
 */
export async function requestPulse(
  stateDir: string,
  wait: boolean,
  options?: ControlCallOptions,
): Promise<{ result: unknown; exitCode: number } | null> {
  const reply = await controlRequest(stateDir, { command: 'pulse', wait }, { timeoutMs: wait ? 30 * 60_000 : 5_000, ...options });
  if (reply === null) return null;
  if (!reply.ok) throw new InternalError(`the service could not run the pass: ${reply.error.message}`, reply.error.code);
  return { result: reply.result, exitCode: reply.exitCode ?? 0 };
}
