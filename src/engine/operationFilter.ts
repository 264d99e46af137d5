// Which steps a one-shot command may take (cli.md commands). The service's own pass (no operation)
// and `pulse` may take every step. Every command polls a pending request it finds: a poll never
// submits anything new (protocol.md §6.4), and `enroll` / `renew` then report exit 5 or install.
import type { PlannedStep, PlanOperation } from './plannerTypes.js';

export function isAllowed(step: PlannedStep, operation: PlanOperation | undefined): boolean {
  switch (step.kind) {
    case 'wait':
    case 'needs-attention':
    case 'skip':
    case 'retrieve':
      return true;
    default:
      break;
  }
  switch (operation) {
    case undefined:
    case 'pulse':
      return true;
    // `enroll` with credentials also recovers an expired or superseded certificate (a new enrollment).
    case 'enroll':
      return step.kind === 'enroll' || step.kind === 're-enroll';
    // `renew` never turns into a new enrollment for an expired certificate: exit 7 says so instead.
    case 'renew':
      return step.kind === 'renew' || (step.kind === 're-enroll' && step.reason !== 'expired');
    case 'retrieve':
      return false;
  }
}
