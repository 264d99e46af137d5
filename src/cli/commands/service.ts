// `autoenroll service install|uninstall|status [--dry-run] [--unit-dir DIR]`: registers the
// service with systemd (Linux), launchd (macOS) or Task Scheduler (Windows: a task that starts at
// boot as SYSTEM; node.exe cannot be a Service Control Manager service by itself).
// --dry-run prints the steps; --unit-dir writes the unit/plist/task file there and prints the
// activation commands instead of running them (packaging, review).
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/types.js';
import { ExitCode, InternalError, errorToJson } from '../../errors.js';
import { readLiveStatus } from '../../daemon/controlClient.js';
import type { LiveStatus } from '../../daemon/controlProtocol.js';
import { DEFAULT_SERVICE_PARAMS } from '../../daemon/serviceFiles.js';
import { planService, secretSources, serviceNeeds, stepBytes } from '../../daemon/serviceInstall.js';
import type { ServicePlan, ServiceStep, ServiceVerb } from '../../daemon/serviceInstall.js';
import { sandboxPaths, sandboxWarnings } from '../../daemon/serviceSandbox.js';
import { currentRuntime } from '../../native/optionalModule.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

interface ServiceOptions {
  dryRun?: boolean;
  unitDir?: string;
  args?: string[];
  /** Set by main.ts for each of the three subcommands. */
  verb?: string;
  /** Test seam: the OS to plan for (default process.platform). */
  platform?: NodeJS.Platform;
}

export async function run(options: ServiceOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const verb = verbOf(options);
  const platform = options.platform ?? process.platform;
  const { resolveConfigPath, loadConfig } = await import('../../config/index.js');
  const configPath = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd, platform });
  let config: Config | null = null;
  let configProblem: string | null = null;
  try {
    config = await loadConfig(configPath, { env: context.env, platform });
  } catch (error) {
    configProblem = errorToJson(error).message;
  }
  const params = {
    ...DEFAULT_SERVICE_PARAMS,
    nodePath: process.execPath,
    // The single executable is the whole program: no bin/autoenroll.js after it.
    cliPath: currentRuntime().sea ? '' : cliPath(),
    configPath,
    ...(config ? serviceNeeds(config) : {}),
  };
  const unitDir = options.unitDir === undefined ? undefined : path.resolve(context.cwd, options.unitDir);
  const plan = planService(verb, platform, params, {
    ...(unitDir !== undefined ? { unitDir } : {}),
    env: context.env,
    ...(config ? { stateDir: config.stateDir, secretSources: secretSources(config) } : {}),
  });
  if (verb === 'install' && platform === 'linux') plan.notes.push(...sandboxWarnings(sandboxPaths(config, params)));
  if (configProblem && verb === 'install') {
    const missed = platform === 'win32' ? 'the task file assumes the default state folder' : 'the unit has no LoadCredential=/ReadWritePaths= for it';
    plan.notes.push(`the configuration could not be read (${configProblem}); ${missed} — fix it and install again`);
  }

  if (options.dryRun) return print(context, verb, plan, [], null, true);
  const results = await execute(plan.steps);
  const live = verb === 'status' && config ? await readLiveStatus(config.stateDir).catch(() => null) : null;
  return print(context, verb, plan, results, live, false);
}

function verbOf(options: ServiceOptions): ServiceVerb {
  const word = options.verb;
  if (word === 'install' || word === 'uninstall' || word === 'status') return word;
  throw new InternalError('service: cannot tell which verb was asked (install, uninstall or status)', 'SERVICE_VERB');
}

/** bin/autoenroll.js of this installation (the bundle lives in dist/, the launcher beside it in bin/). */
function cliPath(): string {
  const script = process.argv[1];
  if (script && /autoenroll(\.js)?$/.test(script) && existsSync(script)) return realpathSync(script);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'bin', 'autoenroll.js');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return DEFAULT_SERVICE_PARAMS.cliPath;
}

interface StepResult {
  step: ServiceStep;
  ok: boolean;
  output: string;
}

async function execute(steps: ServiceStep[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    try {
      if (step.kind === 'write') {
        await mkdir(path.dirname(step.path), { recursive: true });
        await writeFile(step.path, stepBytes(step), { mode: step.mode });
        results.push({ step, ok: true, output: '' });
      } else if (step.kind === 'mkdir') {
        await mkdir(step.path, { recursive: true, ...(step.mode !== undefined ? { mode: step.mode } : {}) });
        results.push({ step, ok: true, output: '' });
      } else if (step.kind === 'remove') {
        await rm(step.path, { force: true });
        results.push({ step, ok: true, output: '' });
      } else {
        const output = await runCommand(step.argv);
        results.push({ step, ok: true, output });
      }
    } catch (error) {
      results.push({ step, ok: false, output: (error as Error).message });
      if (!(step.kind === 'run' && step.optional)) break;
    }
  }
  return results;
}

function runCommand(argv: string[]): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, windowsHide: true }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error) reject(new Error(`${argv.join(' ')} failed: ${output || error.message}`));
      else resolve(output);
    });
  });
}

/** A command line to read or paste: arguments with spaces in double quotes (Windows paths keep their single backslashes). */
function commandLine(argv: string[]): string {
  return argv.map((a) => (a === '' || /[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}

function describeStep(step: ServiceStep): string {
  if (step.kind === 'write') return `write ${step.path} (mode ${step.mode.toString(8)}${step.encoding ? `, ${step.encoding}` : ''})`;
  if (step.kind === 'remove') return `remove ${step.path}`;
  if (step.kind === 'mkdir') return `create the folder ${step.path}${step.mode !== undefined ? ` (mode ${step.mode.toString(8)}, if missing)` : ''}`;
  return `run ${commandLine(step.argv)}`;
}

function print(context: CommandContext, verb: ServiceVerb, plan: ServicePlan, results: StepResult[], live: LiveStatus | null, dryRun: boolean): number {
  const failed = results.find((r) => !r.ok && !(r.step.kind === 'run' && r.step.optional));
  if (context.globals.json) {
    context.stdout.write(
      `${JSON.stringify({
        verb,
        platform: plan.platform,
        dryRun,
        unitPath: plan.unitPath,
        steps: plan.steps.map((step, i) => ({ ...step, ...(results[i] ? { ok: results[i].ok, output: results[i].output } : {}) })),
        nextSteps: plan.nextSteps,
        notes: plan.notes,
        ...(verb === 'status' ? { service: live } : {}),
      })}\n`,
    );
  } else {
    const out = (line: string): void => void context.stdout.write(`${line}\n`);
    if (dryRun) out(`autoenroll service ${verb} (dry run: nothing is changed) would:`);
    plan.steps.forEach((step, i) => {
      const result = results[i];
      const mark = dryRun || !result ? '  -' : result.ok ? '  ok' : '  FAILED';
      out(`${mark} ${describeStep(step)}`);
      if (step.kind === 'write' && dryRun) out(step.content.replace(/^/gm, '      '));
      if (result?.output && (verb === 'status' || !result.ok)) out(result.output.replace(/^/gm, '      '));
    });
    if (plan.nextSteps.length > 0) {
      out('then, to activate it:');
      for (const argv of plan.nextSteps) out(`  ${commandLine(argv)}`);
    }
    for (const note of plan.notes) out(`note: ${note}`);
    if (verb === 'status') {
      out(
        live
          ? `live: pid ${live.pid}, ${live.scheduler.phase}, ${live.scheduler.passes} passes, next wake ${live.scheduler.nextWakeAt ?? 'none'}`
          : 'live: no running service answers on the control socket',
      );
    }
  }
  if (failed) {
    context.stderr.write(`autoenroll: error [SERVICE_${verb.toUpperCase()}_FAILED]: ${failed.output}\n`);
    return ExitCode.INTERNAL;
  }
  return ExitCode.OK;
}
