// The control socket's wire format: one JSON object per line each way. A client sends one request
// and reads one reply; the connection then closes.
//   {"command":"status"}                 → {"ok":true,"result":<LiveStatus>}
//   {"command":"pulse"}                  → {"ok":true,"result":{"accepted":true}}   (the pass runs in the background)
//   {"command":"pulse","wait":true}      → {"ok":true,"result":<pass result>,"exitCode":N}   (after the pass)
//   anything else                        → {"ok":false,"error":{"code":…,"message":…}}
import type { ErrorJson } from '../errors.js';
import type { SchedulerState } from './scheduler.js';

export type ControlRequest = { command: 'status' } | { command: 'pulse'; wait?: boolean };

export type ControlReply =
  | { ok: true; result: unknown; exitCode?: number }
  | { ok: false; error: ErrorJson };

/** What `status` reads from a running service. */
export interface LiveStatus {
  pid: number;
  version: string;
  configFile: string;
  stateDir: string;
  /** ISO 8601. */
  startedAt: string;
  uptimeMs: number;
  scheduler: SchedulerState;
  /** CPU time used since start (µs) and resident memory (bytes): measured, for the idle check. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  /** Per-certificate results of the last pass (the engine's CertificateResult), if any. */
  certificates: unknown[];
}

/** Largest request line accepted (a request is a few dozen bytes). */
export const MAX_REQUEST_BYTES = 4096;

export function parseControlRequest(line: string): { request: ControlRequest } | { error: ErrorJson } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: { code: 'CONTROL_BAD_REQUEST', message: 'request is not JSON' } };
  }
  if (typeof value !== 'object' || value === null) return { error: { code: 'CONTROL_BAD_REQUEST', message: 'request must be a JSON object' } };
  const { command, wait } = value as { command?: unknown; wait?: unknown };
  if (command === 'status') return { request: { command } };
  if (command === 'pulse') return { request: { command, wait: wait === true } };
  return { error: { code: 'CONTROL_UNKNOWN_COMMAND', message: `unknown command ${JSON.stringify(command)}; expected "status" or "pulse"` } };
}
