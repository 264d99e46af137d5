// The service definitions for systemd and launchd, rendered from the paths of this installation
// (the Windows task is in windowsTask.ts). The copies in service/ are these renders with the default
// paths (a test keeps them in sync).
import path from 'node:path';
import { defaultWindowsTaskDir, WINDOWS_TASK_FILE } from './windowsTask.js';

export interface ServiceParams {
  /** Absolute path of the node binary, or of the single executable (then cliPath is empty). */
  nodePath: string;
  /** Absolute path of bin/autoenroll.js; empty when nodePath is the autoenroll executable itself. */
  cliPath: string;
  /** Absolute path of the configuration file. */
  configPath: string;
  /** systemd credential names the config reads (`password: { systemdCredential: NAME }`). */
  credentials: string[];
  /** Folders outside the state folder the service writes (output files); ReadWritePaths under ProtectSystem=strict. */
  writablePaths: string[];
  /**
   * Rendered for the .deb, which installs the unit before there is a configuration: systemd skips
   * the start (ConditionPathExists) until configPath exists, instead of failing and restarting;
   * local changes go in a drop-in, since an upgrade replaces the file.
   */
  packaged?: boolean;
}

export const SYSTEMD_UNIT_NAME = 'autoenroll.service';
export const LAUNCHD_LABEL = 'com.autoenroll.agent';

export const DEFAULT_SERVICE_PARAMS: ServiceParams = {
  nodePath: '/usr/bin/node',
  cliPath: '/usr/lib/node_modules/autoenroll/bin/autoenroll.js',
  configPath: '/etc/autoenroll/config.yaml',
  credentials: [],
  writablePaths: [],
};

/** systemd quoting for one ExecStart word: double quotes when it has spaces or specials; `%` and `$` escaped. */
function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** The service's command line: node + bin/autoenroll.js, or the single executable alone. */
function programArguments(p: ServiceParams): string[] {
  return [p.nodePath, ...(p.cliPath === '' ? [] : [p.cliPath]), 'run', '--config', p.configPath];
}

export function renderSystemdUnit(p: ServiceParams): string {
  const execStart = programArguments(p).map(systemdWord).join(' ');
  const origin = p.packaged
    ? 'Installed by the autoenroll package; for local changes: systemctl edit autoenroll.service'
    : 'Written by `autoenroll service install`; reload after editing: systemctl daemon-reload';
  const condition = p.packaged
    ? `\n# Not started until configured: copy config.yaml.example to ${p.configPath.replace(/%/g, '%%')} and edit it.\nConditionPathExists=${systemdWord(p.configPath)}`
    : '';
  const credentialLines =
    p.credentials.length > 0
      ? p.credentials.map((name) => `LoadCredential=${name}:/etc/autoenroll/credentials/${name}`)
      : [
          '# No `password: { systemdCredential: NAME }` in the config. To use one, put the password in a',
          '# 0600 file and uncomment (a LoadCredential= whose file is missing stops the unit from starting):',
          '#LoadCredential=enrollment-password:/etc/autoenroll/credentials/enrollment-password',
        ];
  const writable = p.writablePaths.length > 0 ? [`ReadWritePaths=${p.writablePaths.map(systemdWord).join(' ')}`] : [
    '# Output files outside /var/lib/autoenroll need their folders listed here (ProtectSystem=strict):',
    '#ReadWritePaths=/etc/ssl/autoenroll',
  ];
  return `# autoenroll: certificate autoenrollment from AD CS web services (CEP/CES), as a service.
# ${origin}.
[Unit]
Description=autoenroll certificate autoenrollment agent
Wants=network-online.target
After=network-online.target time-sync.target${condition}

[Service]
# READY=1 is sent once the control socket listens, before the first pass (which may wait on the network).
Type=notify
# Node cannot send Unix datagrams, so readiness goes through the systemd-notify tool; with the empty
# capability set below that child cannot claim the main pid, so NotifyAccess=main would drop it.
NotifyAccess=all
ExecStart=${execStart}
ExecReload=/bin/kill -HUP $MAINPID
# SIGTERM to the agent only: it finishes the current step (a request, a hook) and exits; whatever is
# left after TimeoutStopSec is killed.
KillMode=mixed
TimeoutStopSec=90s
Restart=on-failure
RestartSec=30s

# stateDir (keys, certificates, pending requests, control socket, metrics.prom) defaults to this.
StateDirectory=autoenroll
StateDirectoryMode=0700
ConfigurationDirectory=autoenroll
UMask=0077
${credentialLines.join('\n')}
${writable.join('\n')}

# Hardening. Runs as root so deploy hooks can reload other services, but without capabilities.
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# Deliberately not MemoryDenyWriteExecute=yes: V8's JIT needs writable+executable memory and
# node aborts at start-up under it.

[Install]
WantedBy=multi-user.target
`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderLaunchdPlist(p: ServiceParams): string {
  const args = programArguments(p).map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- autoenroll: certificate autoenrollment agent. Written by \`autoenroll service install\` to
     /Library/LaunchDaemons; started with \`launchctl bootstrap system <this file>\`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <!-- Restart after a crash, not after a clean exit (SIGTERM from launchctl bootout). -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>ExitTimeOut</key>
  <integer>90</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <!-- 0077: keys and state are readable by root only. -->
  <key>Umask</key>
  <integer>63</integer>
  <key>StandardErrorPath</key>
  <string>/Library/Logs/autoenroll.log</string>
</dict>
</plist>
`;
}

export function defaultUnitDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string | null {
  if (platform === 'linux') return '/etc/systemd/system';
  if (platform === 'darwin') return '/Library/LaunchDaemons';
  if (platform === 'win32') return defaultWindowsTaskDir(env);
  return null;
}

export function unitFileName(platform: NodeJS.Platform): string | null {
  if (platform === 'linux') return SYSTEMD_UNIT_NAME;
  if (platform === 'darwin') return `${LAUNCHD_LABEL}.plist`;
  if (platform === 'win32') return WINDOWS_TASK_FILE;
  return null;
}

/** The unit/plist/task file: in unitDir (a folder of this host) when given, else the OS location. */
export function unitFilePath(platform: NodeJS.Platform, unitDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const name = unitFileName(platform);
  if (!name) return null;
  if (unitDir !== undefined) return path.join(unitDir, name);
  const dir = defaultUnitDir(platform, env);
  if (!dir) return null;
  return platform === 'win32' ? path.win32.join(dir, name) : path.posix.join(dir, name);
}
