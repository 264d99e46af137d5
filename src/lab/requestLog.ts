// The lab's witness: one JSON line per request in <dir>/requests.log (tests of the agent read it to
// see which endpoint was asked what, with which credentials, and how it ended).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabLogEntry {
  time: string;
  endpoint: string;
  /** 'username:<name>', 'certificate', or 'none'. */
  auth: string;
  operation: 'GetPolicies' | 'Issue' | 'QueryTokenStatus' | 'Unknown';
  /** SHA-1 of the TLS client certificate (uppercase hex), when one was presented. */
  clientCertThumbprint?: string;
  requestId?: string;
  /** 'issued', 'pending', 'denied', 'policy', 'fault:<reason>', 'injected:<fault>'… */
  outcome: string;
  hresult?: string;
  template?: string;
}

export type LabLogSink = { write(chunk: string): unknown } | ((entry: LabLogEntry) => void);

export class RequestLog {
  private readonly entries: LabLogEntry[] = [];
  private readonly path: string;

  constructor(
    dir: string,
    private readonly sink?: LabLogSink,
  ) {
    this.path = join(dir, 'requests.log');
  }

  record(entry: Omit<LabLogEntry, 'time'>): LabLogEntry {
    const full: LabLogEntry = { time: new Date().toISOString(), ...entry };
    this.entries.push(full);
    const line = `${JSON.stringify(full)}\n`;
    // Synchronous append: lines stay whole and ordered even when requests overlap.
    appendFileSync(this.path, line, { mode: 0o600 });
    if (typeof this.sink === 'function') this.sink(full);
    else this.sink?.write(line);
    return full;
  }

  all(): LabLogEntry[] {
    return [...this.entries];
  }
}
