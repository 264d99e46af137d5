// `status --check`: one exit code for monitoring from the rows of `status`. 0 only when every
// selected certificate is VALID; otherwise the code of the worst state, worst first: 7 expired,
// 5 pending (a CA manager must approve), 4 needs attention (a human must act), 3 for what the
// service is still working on (backing off after a failure, renewal due or overdue, not enrolled yet).
import { ExitCode } from '../errors.js';
import type { StatusRow } from './statusView.js';

const CODE_OF_STATE: Record<StatusRow['state'], ExitCode> = {
  VALID: ExitCode.OK,
  NEW: ExitCode.UNREACHABLE,
  RENEW_DUE: ExitCode.UNREACHABLE,
  BACKING_OFF: ExitCode.UNREACHABLE,
  NEEDS_ATTENTION: ExitCode.CONFIG,
  PENDING: ExitCode.PENDING,
  EXPIRED: ExitCode.EXPIRED,
};
/** Worst first. */
const SEVERITY: ExitCode[] = [ExitCode.EXPIRED, ExitCode.PENDING, ExitCode.CONFIG, ExitCode.UNREACHABLE, ExitCode.OK];

export interface StatusCheck {
  exitCode: ExitCode;
  /** The rows that are not VALID, worst first. */
  failing: { id: string; state: StatusRow['state']; exitCode: ExitCode }[];
}

export function checkStatus(rows: readonly Pick<StatusRow, 'id' | 'state'>[]): StatusCheck {
  const failing = rows
    .map((r) => ({ id: r.id, state: r.state, exitCode: CODE_OF_STATE[r.state] }))
    .filter((r) => r.exitCode !== ExitCode.OK)
    .sort((a, b) => SEVERITY.indexOf(a.exitCode) - SEVERITY.indexOf(b.exitCode));
  return { exitCode: failing[0]?.exitCode ?? ExitCode.OK, failing };
}
