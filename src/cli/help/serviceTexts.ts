// Help texts of `service install|uninstall|status`: what each verb does, and what --dry-run and
// --unit-dir mean for it. On Windows the agent is a scheduled task, not a Windows service (README,
// docs/commands.md): node.exe cannot be a Service Control Manager service by itself.
export const SERVICE_VERB_TEXT = {
  install: {
    description: 'register `autoenroll run` to start at boot: a systemd unit, a launchd daemon or the Windows scheduled task \\autoenroll\\agent',
    dryRun: 'print the unit (plist, task XML) and the commands, change nothing',
    unitDir: 'write the unit, plist or task XML into this folder and only print the activation commands (default: the OS location, activated)',
  },
  uninstall: {
    description: 'stop the agent and remove its unit, launchd daemon or scheduled task (state, keys and certificates are kept)',
    dryRun: 'print what would be stopped and removed, change nothing',
    unitDir: 'the folder the unit, plist or task XML was written to with install --unit-dir (default: the OS location)',
  },
  status: {
    description: 'whether the agent is registered and running (asks systemd, launchd or Task Scheduler, then the agent itself)',
    dryRun: 'print the commands that would be asked, run nothing',
    unitDir: 'the folder the unit, plist or task XML was written to with install --unit-dir (default: the OS location)',
  },
} as const;
