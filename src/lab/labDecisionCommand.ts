// Shared body of `lab approve ID` and `lab deny ID`: rewrite the request file of a running (or
// stopped) lab atomically; the lab reads it on the next QueryTokenStatus.
import { ExitCode, UsageError } from '../errors.js';
import type { CommandContext } from '../cli/context.js';
import { labDir } from './labDir.js';
import { decideRequest } from './requestStore.js';

export interface LabDecisionOptions {
  dir?: string;
  args?: string[];
}

export async function runLabDecision(decision: 'approved' | 'denied', options: LabDecisionOptions, context: CommandContext): Promise<number> {
  const requestId = options.args?.[0];
  if (requestId === undefined) throw new UsageError(`lab ${decision === 'approved' ? 'approve' : 'deny'} needs a request ID`, 'LAB_NO_REQUEST_ID');
  const dir = labDir(options.dir, context.cwd);
  const request = await decideRequest(dir, requestId, decision);
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ requestId, status: request.status, template: request.template, ca: request.caName, dir })}\n`);
  } else {
    context.stdout.write(`request ${requestId} (${request.template} on ${request.caName}) ${decision}; the client gets the result with its next QueryTokenStatus\n`);
  }
  return ExitCode.OK;
}
