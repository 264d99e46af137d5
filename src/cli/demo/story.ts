// The shape of the demo's story: steps that share what earlier steps found, each ending in a
// check that held (its facts are reported) or a StepFailed naming what did not hold.
import type { PassResult, CertificateResult } from '../../engine/agentTypes.js';
import type { Lab, LabLogEntry } from '../../lab/lab.js';
import type { CommandContext } from '../context.js';
import { runAgentCommand } from './agentCommand.js';
import type { AgentSetup, CommandRun, DemoCommand } from './agentCommand.js';
import type { DemoAgentFiles } from './demoSetup.js';
import type { InstalledFacts } from './installedCheck.js';
import type { FactValue, Narrator } from './narrator.js';

export interface DemoState {
  context: CommandContext;
  narrator: Narrator;
  /** The demo folder (temporary unless --dir). */
  dir: string;
  lab?: Lab;
  files?: DemoAgentFiles;
  setup?: AgentSetup;
  requestId?: string;
  /** What the agent installed, generation by generation (1 = first certificate). */
  generations: InstalledFacts[];
  /** The renewal window of the first certificate (epoch ms), from `autoenroll plan`. */
  windowStartMs?: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface StepOutcome {
  summary: string;
  facts: Record<string, FactValue>;
}

export interface DemoStep {
  name: string;
  title: string;
  run(state: DemoState): Promise<StepOutcome>;
}

/** A check of the story did not hold; `exitCode` follows cli.md (the agent's own code when it failed). */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new StepFailed(`${what} is missing (an earlier step did not provide it)`, 1);
  return value;
}

/** Runs an agent command and insists on the exit code the story expects. */
export async function agentCommand<T>(state: DemoState, command: DemoCommand, options: Record<string, unknown>, expectedExit: number): Promise<CommandRun<T>> {
  const run = await runAgentCommand<T>(command, options, need(state.setup, 'the agent configuration'), state.context);
  if (run.exitCode !== expectedExit) {
    const reason = run.error ? `${run.error.message} [${run.error.code}]` : describeFailure(run.document);
    throw new StepFailed(
      `"${run.commandLine}" exited ${run.exitCode}, expected ${expectedExit}${reason ? `: ${reason}` : ''}`,
      run.exitCode === 0 ? 1 : run.exitCode,
      run.stderr,
    );
  }
  return run;
}

function describeFailure(document: unknown): string {
  const certificate = (document as PassResult | null)?.certificates?.[0];
  if (!certificate) return '';
  return certificate.error ? `${certificate.error.message} [${certificate.error.code}]` : `outcome ${certificate.outcome}, status ${certificate.status}`;
}

/** The one certificate of the demo in a pass result. */
export function certificateOf(run: CommandRun<PassResult>): CertificateResult {
  const certificate = run.document?.certificates[0];
  if (!certificate) throw new StepFailed(`"${run.commandLine}" printed no result for the certificate`, 1, run.stderr);
  return certificate;
}

export function check(condition: boolean, message: string, detail?: string): asserts condition {
  if (!condition) throw new StepFailed(message, 1, detail);
}

/** The lab's request-log entries after `since` entries, matching `where`. */
export function labEntries(lab: Lab, since: number, where: Partial<LabLogEntry>): LabLogEntry[] {
  return lab
    .requestLog()
    .slice(since)
    .filter((entry) => Object.entries(where).every(([key, value]) => entry[key as keyof LabLogEntry] === value));
}

/** A request-log entry as it appears in <lab>/requests.log. */
export const logLine = (entry: LabLogEntry): string => JSON.stringify(entry);

export const isoSeconds = (value: string | number): string => new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
