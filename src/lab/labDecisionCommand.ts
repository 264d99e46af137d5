// Shared body of `lab approve ID` and `lab deny ID`: rewrite the request file of a running (or
// stopped) lab atomically; the lab reads it on the next QueryTokenStatus.
import { ExitCode, UsageError } from '../errors.js';
import type { CommandContext } from '../cli/context.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from './labDir.js';
import { runningLabDir } from './labGuide.js';
import { decideRequest } from './requestStore.js';

export interface LabDecisionOptions {
  dir?: string;
  args?: string[];
}

export async function runLabDecision(decision: 'approved' | 'denied', options: LabDecisionOptions, context: CommandContext): Promise<number> {
  const requestId = options.args?.[0];
  if (requestId === undefined) throw new UsageError(`lab ${decision === 'approved' ? 'approve' : 'deny'} needs a request ID`, 'LAB_NO_REQUEST_ID');
  const dir = options.dir !== undefined && options.dir !== '' ? labDir(options.dir, context.cwd) : (runningLabDir() ?? labDir(undefined, context.cwd));
  if (!existsSync(join(dir, 'lab.json')) && !existsSync(join(dir, 'requests'))) {
    throw new UsageError(`no lab runs (no lab state in ${dir}): start one with \`autoenroll lab\`, or give the --dir it was started with`, 'LAB_NOT_FOUND');
  }
  const request = await decideRequest(dir, requestId, decision);
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ requestId, status: request.status, template: request.template, ca: request.caName, dir })}\n`);
  } else {
    const next = decision === 'approved' ? 'run `autoenroll retrieve` (or `autoenroll request --request-id ' + requestId + ' --out DIR`) to install it' : '`autoenroll retrieve` reports the denial';
    context.stdout.write(`request ${requestId} (${request.template} on ${request.caName}) ${decision}; the client gets the result with its next QueryTokenStatus: ${next}\n`);
  }
  return ExitCode.OK;
}
