// `autoenroll pulse [--wait]` (like certutil -pulse): asks the running service for a pass now over
// its control socket; with --wait, prints that pass's result and returns its exit code. With no
// service running, runs one pass in-process under the state lock and prints it.
import { requestPulse } from '../../daemon/controlClient.js';
import type { PassResult } from '../../engine/agentTypes.js';
import { ExitCode } from '../../errors.js';
import { loadCommandConfig, notifyAfterCommand, openAgentRuntime, printPassResult, resultReportsFailure } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

interface PulseOptions {
  wait?: boolean;
  dryRun?: boolean;
}

/** How long an in-process pulse waits for another pass runner (a starting service, another pulse). */
const LOCK_WAIT_MS = 10_000;

export async function run(options: PulseOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  if (options.dryRun === true) return dryRun(context);
  const config = await loadCommandConfig(context);
  const wait = options.wait === true;
  const live = await requestPulse(config.stateDir, wait, { signal: context.signal });
  if (live !== null) {
    if (!wait) {
      if (context.globals.json) context.stdout.write(`${JSON.stringify({ requested: true, service: true })}\n`);
      else context.stdout.write('the running service is starting a pass now (use --wait to see its result)\n');
      return ExitCode.OK;
    }
    printServiceResult(context, live.result);
    return live.exitCode;
  }

  const runtime = await openAgentRuntime(context, { deferReported: true });
  try {
    const release = await runtime.store.lockAll({ wait: LOCK_WAIT_MS });
    let result: PassResult;
    try {
      result = await runtime.agent.runPass({ operation: 'pulse', signal: context.signal });
      runtime.releaseLogs(resultReportsFailure(result));
      printPassResult(context, result);
    } finally {
      await release();
    }
    await notifyAfterCommand(runtime, result, context);
    return result.exitCode;
  } finally {
    await runtime.close();
  }
}

/**
 * `pulse --dry-run`: in this process, beside a running service if there is one: the policy is
 * fetched (and cached), every certificate — policy-driven ones included — is planned, nothing is
 * sent to a CES and no certificate, pending request or autoenroll record changes.
 */
async function dryRun(context: CommandContext): Promise<number> {
  const runtime = await openAgentRuntime(context, { hooks: null });
  try {
    const result = await runtime.agent.runPass({ operation: 'pulse', dryRun: true, signal: context.signal });
    printPassResult(context, result);
    return result.exitCode;
  } finally {
    await runtime.close({ force: context.signal.aborted });
  }
}

function printServiceResult(context: CommandContext, result: unknown): void {
  if (isPassResult(result)) {
    printPassResult(context, result);
    return;
  }
  // The pass itself failed before producing a result (the service logged why).
  const error = (result as { error?: { code?: string; message?: string } } | null)?.error;
  if (context.globals.json) context.stdout.write(`${JSON.stringify({ error: error ?? null })}\n`);
  else context.stdout.write(`the service's pass failed: ${error?.message ?? 'unknown error'} [${error?.code ?? 'INTERNAL'}]\n`);
}

function isPassResult(value: unknown): value is PassResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as PassResult).certificates);
}
