// Runs the story step by step: prints each as it happens, stops at the first check that does not
// hold (naming the step), always stops the lab and removes the temporary folder, and resolves to
// the exit code (0 only if every step held).
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, UsageError, errorToJson, exitCodeOf } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { approveStep, enrollStep, retrieveStep, startLabStep } from './enrollmentSteps.js';
import { Narrator } from './narrator.js';
import type { StepRecord } from './narrator.js';
import { failoverStep, renewInWindowStep } from './renewalSteps.js';
import { StepFailed } from './story.js';
import type { DemoState, DemoStep } from './story.js';
import { summaryStep } from './summaryStep.js';

export const DEMO_STEPS: readonly DemoStep[] = [startLabStep, enrollStep, approveStep, retrieveStep, renewInWindowStep, failoverStep, summaryStep];

export interface DemoOptions {
  dir?: string;
}

/** The --json document. */
export interface DemoReport {
  ok: boolean;
  exitCode: number;
  durationMs: number;
  dir: string;
  /** False when the temporary folder was removed. */
  kept: boolean;
  steps: StepRecord[];
  error: { step: number; name: string; message: string; exitCode: number } | null;
}

/** Agent log lines shown after a failure (the agent's own account of what went wrong). */
const DETAIL_LINES = 30;

/** `steps` is the story; tests tell shorter ones to see how a failing step is reported. */
export async function runDemo(options: DemoOptions, context: CommandContext, steps: readonly DemoStep[] = DEMO_STEPS): Promise<number> {
  const startedMs = Date.now();
  const kept = options.dir !== undefined;
  const dir = kept ? await prepareDir(resolve(context.cwd, options.dir as string)) : await mkdtemp(join(tmpdir(), 'autoenroll-demo-'));
  const json = context.globals.json;
  // --quiet: only errors (reportFailure, on stderr) and, with --json, the document.
  const narrator = new Narrator(context.globals.quiet ? null : json ? context.stderr : context.stdout, steps.length);
  const state: DemoState = {
    context,
    narrator,
    dir,
    generations: [],
    now: Date.now,
    sleep: (ms) => abortableSleep(ms, context.signal),
  };
  const records: StepRecord[] = [];
  let failure: DemoReport['error'] = null;

  narrator.title('autoenroll demo: certificate autoenrollment from AD CS web services, against the built-in lab');
  narrator.title(`(real time, real HTTPS on loopback, the same agent code as "autoenroll enroll / retrieve / renew"; files in ${dir})`);
  try {
    for (const [index, step] of steps.entries()) {
      const number = index + 1;
      narrator.heading(number, step.title);
      const stepStartedMs = Date.now();
      try {
        if (context.signal.aborted) throw new StepFailed('interrupted', ExitCode.INTERNAL);
        const outcome = await step.run(state);
        narrator.ok(outcome.summary);
        records.push({ step: number, name: step.name, title: step.title, ok: true, durationMs: Date.now() - stepStartedMs, summary: outcome.summary, facts: outcome.facts });
      } catch (error) {
        const exitCode = error instanceof StepFailed ? error.exitCode : exitCodeOf(error);
        const message = error instanceof StepFailed ? error.message : errorToJson(error).message;
        narrator.failed(message);
        records.push({ step: number, name: step.name, title: step.title, ok: false, durationMs: Date.now() - stepStartedMs, summary: message, facts: {} });
        failure = { step: number, name: step.name, message, exitCode: exitCode === ExitCode.OK ? ExitCode.INTERNAL : exitCode };
        reportFailure(context, failure, error instanceof StepFailed ? error.detail : undefined);
        break;
      }
    }
  } finally {
    await state.lab?.close().catch(() => undefined);
    if (!kept) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  const durationMs = Date.now() - startedMs;
  const exitCode = failure?.exitCode ?? ExitCode.OK;
  narrator.blank();
  if (failure) narrator.title(`The demo FAILED at step ${failure.step} (${failure.name}) after ${(durationMs / 1000).toFixed(1)} s; exit code ${exitCode}.`);
  else narrator.title(`All ${steps.length} steps held in ${(durationMs / 1000).toFixed(1)} s. ${kept ? `Files kept in ${dir}.` : 'Temporary files removed (keep them with --dir DIR).'}`);
  if (json) {
    const report: DemoReport = { ok: failure === null, exitCode, durationMs, dir, kept, steps: records, error: failure };
    context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return exitCode;
}

/** --dir: a new or empty folder, so that an old lab or agent state cannot change the story. */
async function prepareDir(dir: string): Promise<string> {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError(`demo --dir needs a new or empty folder, and ${dir} is not empty`, 'DEMO_DIR_NOT_EMPTY');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function reportFailure(context: CommandContext, failure: NonNullable<DemoReport['error']>, detail: string | undefined): void {
  context.stderr.write(`autoenroll: demo failed at step ${failure.step} (${failure.name}): ${failure.message}\n`);
  if (detail && !context.globals.verbose) {
    const lines = detail.trimEnd().split('\n').slice(-DETAIL_LINES);
    context.stderr.write(`the agent's log of that command:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
