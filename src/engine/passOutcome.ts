// What a planned step that was not executed means for the user, and the pass's aggregate exit
// code (cli.md "Exit codes"). Pure.
import { humanInstant } from '../log/instant.js';
import type { AutoenrollError} from '../errors.js';
import { ConfigError, ExitCode, ExpiredError, PendingError } from '../errors.js';
import type { CertificateAction } from './plannerTypes.js';
import type { PassOutcome } from './agentTypes.js';

/** Worst first: configuration/credentials, denied, expired, unreachable, internal, hook, pending, ok. */
const PRECEDENCE: readonly number[] = [
  ExitCode.CONFIG,
  ExitCode.DENIED,
  ExitCode.EXPIRED,
  ExitCode.UNREACHABLE,
  ExitCode.INTERNAL,
  ExitCode.HOOK_FAILED,
  ExitCode.PENDING,
  ExitCode.OK,
];

export function aggregateExitCode(codes: readonly number[]): number {
  let worst: number = ExitCode.OK;
  for (const code of codes) {
    const rank = PRECEDENCE.indexOf(code);
    if (rank >= 0 && rank < PRECEDENCE.indexOf(worst)) worst = code;
    else if (rank < 0 && worst === ExitCode.OK) worst = code;
  }
  return worst;
}

export interface IdleVerdict {
  outcome: PassOutcome;
  error: AutoenrollError | null;
  message?: string;
}

/**
 * A step the pass did not execute (wait, needs-attention, or filtered out by the command):
 * whether it is fine (exit 0), pending (5), expired (7) or a problem to fix (4, or the policy
 * step's own error when no policy could be had).
 */
export function idleVerdict(action: CertificateAction, policyError: AutoenrollError | null): IdleVerdict {
  const id = action.certificateId;
  switch (action.kind) {
    case 'wait':
      return { outcome: 'nothing-due', error: null, message: waitMessage(action.reason, action.untilMs) };
    case 'needs-attention':
      switch (action.reason) {
        case 'expired-no-credentials':
          return { outcome: 'needs-attention', error: new ExpiredError(`certificate "${id}" has expired: ${action.message}`), message: action.message };
        case 'no-policy':
          return { outcome: 'needs-attention', error: policyError ?? new ConfigError(action.message, {}, 'NO_POLICY'), message: action.message };
        case 'pending-too-old':
          return { outcome: 'needs-attention', error: new PendingError(action.message, ''), message: action.message };
        case 'issued-inside-window':
        case 'empty-renewal-window':
          return { outcome: 'needs-attention', error: null, message: action.message };
        default:
          return { outcome: 'needs-attention', error: new ConfigError(action.message, {}, attentionCode(action.reason)), message: action.message };
      }
    case 'skip': {
      const blocked = action.blocked;
      if (blocked.kind === 're-enroll' && blocked.reason === 'expired') {
        return {
          outcome: 'needs-attention',
          error: new ExpiredError(
            `certificate "${id}" has expired; key-based renewal is impossible. Run "autoenroll enroll" with username/password credentials to enroll it again`,
          ),
        };
      }
      return { outcome: 'nothing-due', error: null, message: skipMessage(blocked.kind) };
    }
    default:
      return { outcome: 'nothing-due', error: null };
  }
}

function attentionCode(reason: string): string {
  return reason.toUpperCase().replace(/-/g, '_');
}

function waitMessage(reason: string, untilMs: number): string {
  const at = humanInstant(untilMs);
  switch (reason) {
    case 'before-renewal':
      return `not due: renewal window opens ${at}`;
    case 'backing-off':
      return `backing off after failures until ${at}`;
    case 'pending-not-due':
      return `pending; next poll ${at}`;
    default:
      return `automatic renewal disabled by the template; expires ${at}`;
  }
}

function skipMessage(kind: string): string {
  switch (kind) {
    case 'enroll':
    case 're-enroll':
      return 'needs a new enrollment: run "autoenroll enroll"';
    case 'renew':
      return 'renewal is due: run "autoenroll renew"';
    case 'retrieve':
      return 'a request is pending: run "autoenroll retrieve"';
    default:
      return 'nothing to do for this command';
  }
}
