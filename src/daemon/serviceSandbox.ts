// What the systemd unit's sandbox means for the paths of a configuration: ProtectSystem=strict makes
// everything read-only except ReadWritePaths= (so the state folder and every output folder are
// listed there), ProtectHome=yes hides /home, /root and /run/user, PrivateTmp=yes gives the service
// its own empty /tmp and /var/tmp. A config, executable, trust bundle, secret file, state folder or
// output under those is invisible to (or not shared with) the service: `service install` says so.
import path from 'node:path';
import type { Config } from '../config/types.js';

export interface SandboxPaths {
  /** Files the service reads: the config, the executable and CLI script, the trust bundle, secret files. */
  read: { what: string; path: string }[];
  /** Folders the service writes: the state folder and the output folders. */
  write: { what: string; path: string }[];
}

const HOME_TREES = ['/home', '/root', '/run/user'];
const TMP_TREES = ['/tmp', '/var/tmp'];

const under = (file: string, tree: string): boolean => {
  const relative = path.posix.relative(tree, path.posix.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.posix.isAbsolute(relative));
};

/** The paths of `config` (and of the program) that the unit's sandbox concerns. */
export function sandboxPaths(config: Config | null, program: { configPath: string; nodePath: string; cliPath: string }): SandboxPaths {
  const read: SandboxPaths['read'] = [
    { what: 'the configuration', path: program.configPath },
    { what: 'the executable', path: program.nodePath },
    ...(program.cliPath ? [{ what: 'the CLI script', path: program.cliPath }] : []),
  ];
  const write: SandboxPaths['write'] = [];
  if (config) {
    if (config.trust.caFile) read.push({ what: 'trust.caFile', path: config.trust.caFile });
    for (const server of config.policyServers) {
      if (server.password && 'file' in server.password) read.push({ what: `policyServers[${server.index}].password`, path: server.password.file });
    }
    write.push({ what: 'stateDir', path: config.stateDir });
    for (const cert of config.certificates) {
      const o = cert.output;
      if (!o) continue;
      for (const [key, file] of [['cert', o.cert], ['key', o.key], ['chain', o.chain], ['fullchain', o.fullchain], ['pfx', o.pfx?.path]] as const) {
        if (file) write.push({ what: `certificates[${cert.id}].output.${key}`, path: file });
      }
    }
  }
  return { read, write };
}

/** One warning per path the unit's ProtectHome=yes or PrivateTmp=yes hides from the service. */
export function sandboxWarnings(paths: SandboxPaths): string[] {
  const notes: string[] = [];
  for (const { what, path: file } of [...paths.read, ...paths.write]) {
    const home = HOME_TREES.find((tree) => under(file, tree));
    if (home) {
      notes.push(`${what} (${file}) is under ${home}, which the unit hides from the service (ProtectHome=yes): move it out of ${home} (e.g. under /etc/autoenroll, /var/lib/autoenroll or /opt), or relax ProtectHome in a drop-in (systemctl edit autoenroll.service)`);
      continue;
    }
    const tmp = TMP_TREES.find((tree) => under(file, tree));
    if (tmp) {
      notes.push(`${what} (${file}) is under ${tmp}, which the service sees as its own empty folder (PrivateTmp=yes): ${paths.write.some((w) => w.path === file) ? 'what it writes there is not seen by anyone else' : 'it will not find the file'}; move it out of ${tmp}`);
    }
  }
  return notes;
}
