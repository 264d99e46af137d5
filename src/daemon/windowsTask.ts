// The Windows registration: a Task Scheduler task, not a Service Control Manager service.
// node.exe cannot answer the SCM (a service process must call StartServiceCtrlDispatcher and report
// SERVICE_RUNNING within 30 s, or the SCM kills it with error 1053), and wrapping it would need a
// native helper. The Windows certificate autoenrollment client itself runs from Task Scheduler
// (\Microsoft\Windows\CertificateServicesClient\SystemTask), so the agent does the same: a task
// that starts at boot as SYSTEM, with no time limit, one instance at a time.
//
// The XML follows the Task Scheduler schema (namespace .../2004/02/mit/task, version 1.3, the
// schema's fixed version; Windows 7 / Server 2008 R2 and later read it) and is written in UTF-16 LE
// with a BOM, the encoding schtasks /Create /XML expects.
import path from 'node:path';
import { defaultConfigPath } from '../config/configPath.js';
import { UsageError } from '../errors.js';

export const WINDOWS_TASK_NAME = '\\autoenroll\\agent';
export const WINDOWS_TASK_FILE = 'autoenroll-task.xml';
const LOCAL_SYSTEM_SID = 'S-1-5-18';
const ADMINISTRATORS_SID = 'S-1-5-32-544';
/** pathType in the schema: Command and WorkingDirectory are at most MAX_PATH characters. */
const MAX_TASK_PATH = 260;
/** restartType/Count is an xs:unsignedByte (MS-TSCH 2.5.4: 1 to 255). */
export const RESTART_COUNT = 255;
/** How often Task Scheduler starts the task again if it is not running (IgnoreNew drops it otherwise). */
export const WATCHDOG_INTERVAL = 'PT1H';

export interface WindowsTaskParams {
  /** Absolute path of node.exe. */
  nodePath: string;
  /** Absolute path of bin\autoenroll.js. */
  cliPath: string;
  /** Absolute path of the configuration file; its folder is the task's working directory. */
  configPath: string;
}

/** The paths of the reference file service/autoenroll-task.xml (installed with `npm install -g --prefix "C:\Program Files\autoenroll"`). */
export const DEFAULT_WINDOWS_TASK_PARAMS: WindowsTaskParams = {
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  cliPath: 'C:\\Program Files\\autoenroll\\node_modules\\autoenroll\\bin\\autoenroll.js',
  configPath: 'C:\\ProgramData\\autoenroll\\config.yaml',
};

/** %ProgramData%\autoenroll: where install writes the task file (beside the default config). */
export function defaultWindowsTaskDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.win32.dirname(defaultConfigPath('win32', env));
}

/**
 * One argument for a command line parsed by the Microsoft C runtime (CommandLineToArgvW rules,
 * which node.exe uses): in double quotes when it has spaces, quotes, or `always`; backslashes are
 * doubled only before a quote and at the end.
 */
export function quoteWindowsArg(arg: string, always = false): string {
  if (!always && arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/** The Exec action's Arguments: the CLI and the config always quoted, so spaces never split them. */
export function windowsTaskArguments(p: WindowsTaskParams): string {
  return [quoteWindowsArg(p.cliPath, true), 'run', '--config', quoteWindowsArg(p.configPath, true)].join(' ');
}

/** The task's working directory: the configuration's folder (relative paths in it resolve from there anyway). */
export function windowsTaskWorkingDirectory(p: WindowsTaskParams): string {
  return path.win32.dirname(p.configPath);
}

function checkPaths(p: WindowsTaskParams): void {
  const named: Array<[string, string]> = [
    ['node.exe', p.nodePath],
    ['the CLI', p.cliPath],
    ['the configuration', p.configPath],
  ];
  for (const [what, value] of named) {
    // Task Scheduler expands %NAME% in Command, Arguments and WorkingDirectory; there is no escape.
    if (value.includes('%')) {
      throw new UsageError(`the path of ${what} (${value}) contains "%", which Task Scheduler would expand as an environment variable; move it to a path without "%"`, 'SERVICE_TASK_PATH');
    }
  }
  for (const [what, value] of [['node.exe', p.nodePath], ['the working directory', windowsTaskWorkingDirectory(p)]] as const) {
    if (value.length > MAX_TASK_PATH) {
      throw new UsageError(`the path of ${what} is longer than ${MAX_TASK_PATH} characters, the Task Scheduler limit: ${value}`, 'SERVICE_TASK_PATH');
    }
  }
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The task definition as text (encode it with encodeWindowsTaskXml before writing it). */
export function renderWindowsTaskXml(p: WindowsTaskParams): string {
  checkPaths(p);
  return `<?xml version="1.0" encoding="UTF-16"?>
<!-- autoenroll: certificate autoenrollment agent as a Task Scheduler task. Written by
     \`autoenroll service install\`, registered with
     schtasks /Create /TN "${WINDOWS_TASK_NAME}" /XML <this file> /F
     A task rather than a service: node.exe cannot answer the Service Control Manager. -->
<Task version="1.3" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <URI>${text(WINDOWS_TASK_NAME)}</URI>
    <Author>autoenroll</Author>
    <Description>Certificate autoenrollment from AD CS web services (CEP/CES) with key-based renewal.</Description>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
    </BootTrigger>
    <!-- Watchdog: RestartOnFailure only covers a failed start, not a process that exits later.
         Every hour, without end (no Duration), the agent is started if it is not running; while
         it runs, IgnoreNew drops the start. -->
    <TimeTrigger>
      <Enabled>true</Enabled>
      <StartBoundary>2020-01-01T00:00:00</StartBoundary>
      <Repetition>
        <Interval>${WATCHDOG_INTERVAL}</Interval>
      </Repetition>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="LocalSystem">
      <UserId>${LOCAL_SYSTEM_SID}</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <!-- PT0S: no execution time limit (the default would stop the agent after 72 hours). -->
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>${RESTART_COUNT}</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="LocalSystem">
    <Exec>
      <Command>${text(p.nodePath)}</Command>
      <Arguments>${text(windowsTaskArguments(p))}</Arguments>
      <WorkingDirectory>${text(windowsTaskWorkingDirectory(p))}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
}

/** UTF-16 LE with a byte order mark, as schtasks /XML reads it. */
export function encodeWindowsTaskXml(xml: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
}

function system32(env: NodeJS.ProcessEnv, exe: string): string {
  // Absolute, so an elevated install never runs a schtasks.exe found first in the current folder or PATH.
  return path.win32.join(env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows', 'System32', exe);
}

/** The schtasks.exe and icacls.exe command lines, as argv lists. */
export function windowsTaskCommands(env: NodeJS.ProcessEnv = process.env) {
  const schtasks = system32(env, 'schtasks.exe');
  return {
    create: (xmlPath: string): string[] => [schtasks, '/Create', '/TN', WINDOWS_TASK_NAME, '/XML', xmlPath, '/F'],
    run: [schtasks, '/Run', '/TN', WINDOWS_TASK_NAME],
    end: [schtasks, '/End', '/TN', WINDOWS_TASK_NAME],
    delete: [schtasks, '/Delete', '/TN', WINDOWS_TASK_NAME, '/F'],
    query: [schtasks, '/Query', '/TN', WINDOWS_TASK_NAME, '/V', '/FO', 'LIST'],
    /** The state folder for SYSTEM and Administrators only (keys live there; the inherited ProgramData ACL lets Users read). */
    restrictFolder: (dir: string): string[] => [
      system32(env, 'icacls.exe'),
      dir,
      '/inheritance:r',
      '/grant:r',
      `*${LOCAL_SYSTEM_SID}:(OI)(CI)F`,
      `*${ADMINISTRATORS_SID}:(OI)(CI)F`,
    ],
  };
}
