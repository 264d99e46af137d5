// What `autoenroll service install|uninstall|status` does on each OS, as a list of steps (write a
// file, remove a file, run a command) so that --dry-run can print exactly what would happen and the
// real run executes the same list.
import path from 'node:path';
import type { Config } from '../config/types.js';
import {
  LAUNCHD_LABEL,
  renderLaunchdPlist,
  renderSystemdUnit,
  SYSTEMD_UNIT_NAME,
  unitFilePath,
  WINDOWS_SERVICE_NAME,
  windowsServiceCommands,
} from './serviceFiles.js';
import type { ServiceParams } from './serviceFiles.js';

export type ServiceStep =
  | { kind: 'write'; path: string; content: string; mode: number }
  | { kind: 'remove'; path: string }
  | { kind: 'run'; argv: string[]; /** A failure is reported but does not stop the remaining steps. */ optional?: boolean };

export type ServiceVerb = 'install' | 'uninstall' | 'status';

export interface ServicePlan {
  platform: NodeJS.Platform;
  /** The unit/plist file, when the OS has one. */
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
  const writablePaths = [...folders].filter((dir) => !isInside(dir, stateDir)).sort();
  return { credentials: [...credentials].sort(), writablePaths };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function planService(verb: ServiceVerb, platform: NodeJS.Platform, params: ServiceParams, unitDir?: string): ServicePlan {
  const unitPath = unitFilePath(platform, unitDir);
  // --unit-dir stages the file (packaging, review): activation is left to the administrator.
  const staged = unitDir !== undefined;
  const plan: ServicePlan = { platform, unitPath, steps: [], nextSteps: [], notes: [] };
  const activate = (argv: string[], optional = false): void => {
    if (staged) plan.nextSteps.push(argv);
    else plan.steps.push({ kind: 'run', argv, ...(optional ? { optional } : {}) });
  };

  if (platform === 'linux' && unitPath) {
    if (verb === 'install') {
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
  if (platform === 'win32') {
    if (verb === 'install') {
      for (const argv of windowsServiceCommands(params)) plan.steps.push({ kind: 'run', argv });
      plan.notes.push(
        'node.exe does not answer the Service Control Manager itself; if `sc.exe start` reports error 1053, register the same command line through a service wrapper such as WinSW or NSSM.',
      );
    } else if (verb === 'uninstall') {
      plan.steps.push({ kind: 'run', argv: ['sc.exe', 'stop', WINDOWS_SERVICE_NAME], optional: true });
      plan.steps.push({ kind: 'run', argv: ['sc.exe', 'delete', WINDOWS_SERVICE_NAME] });
    } else {
      plan.steps.push({ kind: 'run', argv: ['sc.exe', 'query', WINDOWS_SERVICE_NAME], optional: true });
    }
    return plan;
  }
  plan.notes.push(`no service manager support for platform "${platform}": run \`autoenroll run\` from your own supervisor`);
  return plan;
}
