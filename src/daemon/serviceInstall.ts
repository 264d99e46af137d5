// What `autoenroll service install|uninstall|status` does on each OS, as a list of steps (write a
// file, remove a file, run a command) so that --dry-run can print exactly what would happen and the
// real run executes the same list.
import path from 'node:path';
import { defaultStateDir } from '../config/configPath.js';
import type { Config, SecretRef } from '../config/types.js';
import {
  LAUNCHD_LABEL,
  renderLaunchdPlist,
  renderSystemdUnit,
  SYSTEMD_UNIT_NAME,
  unitFilePath,
} from './serviceFiles.js';
import type { ServiceParams } from './serviceFiles.js';
import { encodeWindowsTaskXml, renderWindowsTaskXml, WINDOWS_TASK_NAME, windowsTaskCommands } from './windowsTask.js';

export type ServiceStep =
  /** `encoding` utf-16le-bom: the text is written as UTF-16 LE after a byte order mark (the Windows task file). */
  | { kind: 'write'; path: string; content: string; mode: number; encoding?: 'utf-16le-bom' }
  | { kind: 'remove'; path: string }
  | { kind: 'mkdir'; path: string; /** Permissions of a folder that is created (default 0755). */ mode?: number }
  | { kind: 'run'; argv: string[]; /** A failure is reported but does not stop the remaining steps. */ optional?: boolean };

export type ServiceVerb = 'install' | 'uninstall' | 'status';

export interface ServicePlan {
  platform: NodeJS.Platform;
  /** The unit/plist/task file, when the OS has one. */
  unitPath: string | null;
  steps: ServiceStep[];
  /** Steps left for the administrator (activation when the unit was staged with --unit-dir). */
  nextSteps: string[][];
  notes: string[];
}

/** Output folders and systemd credentials the config uses (for ReadWritePaths= and LoadCredential=). */
export function serviceNeeds(config: Config): Pick<ServiceParams, 'credentials' | 'writablePaths'> {
  const credentials = new Set<string>();
  for (const server of config.policyServers) {
    if (server.password && 'systemdCredential' in server.password) credentials.add(server.password.systemdCredential);
  }
  const folders = new Set<string>();
  for (const cert of config.certificates) {
    const output = cert.output;
    if (!output) continue;
    if (output.pfx && 'systemdCredential' in output.pfx.password) credentials.add(output.pfx.password.systemdCredential);
    for (const file of [output.cert, output.key, output.chain, output.fullchain, output.pfx?.path]) {
      if (file) folders.add(path.dirname(file));
    }
  }
  const stateDir = path.resolve(config.stateDir);
  // The default state folder is the unit's StateDirectory=, writable already; any other one is listed.
  const ownState = stateDir === defaultStateDir('linux') ? [] : [stateDir];
  const writablePaths = [...ownState, ...[...folders].filter((dir) => !isInside(dir, stateDir)).sort()];
  return { credentials: [...credentials].sort(), writablePaths };
}

export type SecretSource = 'env' | 'file' | 'keyring' | 'systemdCredential';

/** Where the config's secrets come from: on Windows the task runs as SYSTEM, which changes what env and keyring mean. */
export function secretSources(config: Config): SecretSource[] {
  const kinds = new Set<SecretSource>();
  const add = (ref: SecretRef | undefined): void => {
    if (!ref) return;
    for (const kind of ['env', 'file', 'keyring', 'systemdCredential'] as const) if (kind in ref) kinds.add(kind);
  };
  for (const server of config.policyServers) add(server.password);
  for (const cert of config.certificates) add(cert.output?.pfx?.password);
  return [...kinds].sort();
}

/** The bytes a write step puts on disk. */
export function stepBytes(step: Extract<ServiceStep, { kind: 'write' }>): Buffer {
  return step.encoding === 'utf-16le-bom' ? encodeWindowsTaskXml(step.content) : Buffer.from(step.content, 'utf8');
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface PlanOptions {
  /** Stage the unit/plist/task file in this folder and only print the activation (packaging, review). */
  unitDir?: string;
  /** Environment of the installing process (%ProgramData%, %SystemRoot% on Windows). */
  env?: NodeJS.ProcessEnv;
  /** The config's state folder (default: the OS default). */
  stateDir?: string;
  /** Where the config's secrets come from (for warnings that depend on the service's account). */
  secretSources?: SecretSource[];
}

export function planService(verb: ServiceVerb, platform: NodeJS.Platform, params: ServiceParams, options: PlanOptions = {}): ServicePlan {
  const { unitDir } = options;
  const env = options.env ?? process.env;
  const unitPath = unitFilePath(platform, unitDir, env);
  // --unit-dir stages the file (packaging, review): activation is left to the administrator.
  const staged = unitDir !== undefined;
  const plan: ServicePlan = { platform, unitPath, steps: [], nextSteps: [], notes: [] };
  const activate = (argv: string[], optional = false): void => {
    if (staged) plan.nextSteps.push(argv);
    else plan.steps.push({ kind: 'run', argv, ...(optional ? { optional } : {}) });
  };

  if (platform === 'linux' && unitPath) {
    if (verb === 'install') {
      // ReadWritePaths= of a missing folder stops the unit from starting: make them first.
      for (const dir of params.writablePaths) {
        const mode = options.stateDir !== undefined && path.resolve(options.stateDir) === dir ? 0o700 : 0o755;
        if (staged) plan.nextSteps.push(['mkdir', '-p', '-m', mode.toString(8), dir]);
        else plan.steps.push({ kind: 'mkdir', path: dir, mode });
      }
      plan.steps.push({ kind: 'write', path: unitPath, content: renderSystemdUnit(params), mode: 0o644 });
      activate(['systemctl', 'daemon-reload']);
      activate(['systemctl', 'enable', '--now', SYSTEMD_UNIT_NAME]);
    } else if (verb === 'uninstall') {
      activate(['systemctl', 'disable', '--now', SYSTEMD_UNIT_NAME], true);
      plan.steps.push({ kind: 'remove', path: unitPath });
      activate(['systemctl', 'daemon-reload']);
    } else {
      plan.steps.push({ kind: 'run', argv: ['systemctl', 'show', SYSTEMD_UNIT_NAME, '--property=LoadState,UnitFileState,ActiveState,SubState,StatusText,MainPID'], optional: true });
    }
    return plan;
  }
  if (platform === 'darwin' && unitPath) {
    if (verb === 'install') {
      plan.steps.push({ kind: 'write', path: unitPath, content: renderLaunchdPlist(params), mode: 0o644 });
      activate(['launchctl', 'bootstrap', 'system', unitPath]);
      activate(['launchctl', 'enable', `system/${LAUNCHD_LABEL}`]);
    } else if (verb === 'uninstall') {
      activate(['launchctl', 'bootout', `system/${LAUNCHD_LABEL}`], true);
      plan.steps.push({ kind: 'remove', path: unitPath });
    } else {
      plan.steps.push({ kind: 'run', argv: ['launchctl', 'print', `system/${LAUNCHD_LABEL}`], optional: true });
    }
    return plan;
  }
  if (platform === 'win32' && unitPath) {
    planWindowsTask(verb, plan, params, unitPath, staged, env, options);
    return plan;
  }
  plan.notes.push(`no service manager support for platform "${platform}": run \`autoenroll run\` from your own supervisor`);
  return plan;
}

/** Windows: a Task Scheduler task running as SYSTEM (see windowsTask.ts for why not a service). */
function planWindowsTask(
  verb: ServiceVerb,
  plan: ServicePlan,
  params: ServiceParams,
  taskFile: string,
  staged: boolean,
  env: NodeJS.ProcessEnv,
  options: PlanOptions,
): void {
  const commands = windowsTaskCommands(env);
  const activate = (argv: string[], optional = false): void => {
    if (staged) plan.nextSteps.push(argv);
    else plan.steps.push({ kind: 'run', argv, ...(optional ? { optional } : {}) });
  };
  if (verb === 'install') {
    const stateDir = options.stateDir ?? defaultStateDir('win32', env);
    const xml = renderWindowsTaskXml(params);
    plan.steps.push({ kind: 'write', path: taskFile, content: xml, mode: 0o644, encoding: 'utf-16le-bom' });
    if (staged) plan.nextSteps.push(['mkdir', stateDir]);
    else plan.steps.push({ kind: 'mkdir', path: stateDir });
    activate(commands.restrictFolder(stateDir));
    activate(commands.create(taskFile));
    activate(commands.run);
    plan.notes.push(
      `the agent runs as the scheduled task ${WINDOWS_TASK_NAME} (SYSTEM, at boot, restarted within the hour if it stops); Task Scheduler does not keep its stderr log: use \`autoenroll service status\`, \`autoenroll status\`, stateDir\\metrics.prom and the task history`,
    );
    for (const [what, value] of [['node.exe', params.nodePath], ['the CLI', params.cliPath]] as const) {
      if (/^[a-z]:\\users\\/i.test(value)) {
        plan.notes.push(`${what} is in a user profile (${value}); the task runs as SYSTEM and stops working if that profile goes: prefer an installation under %ProgramFiles%`);
      }
    }
    const secrets = options.secretSources ?? [];
    if (secrets.includes('keyring')) {
      plan.notes.push('`password: { keyring }` is read from the Credential Manager of SYSTEM, the task\'s account, not from yours: store it from a SYSTEM prompt, or use a file secret in the state folder');
    }
    if (secrets.includes('env')) {
      plan.notes.push('`password: { env }` is read from the environment of SYSTEM: it must be a system environment variable, set before the Task Scheduler service starts the task');
    }
    if (secrets.includes('systemdCredential')) {
      plan.notes.push('`password: { systemdCredential }` does not exist on Windows: use a file, env or keyring secret');
    }
  } else if (verb === 'uninstall') {
    activate(commands.end, true);
    activate(commands.delete);
    plan.steps.push({ kind: 'remove', path: taskFile });
  } else {
    plan.steps.push({ kind: 'run', argv: commands.query, optional: true });
  }
}
