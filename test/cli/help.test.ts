// Help, suggestions, --version, shell completions and the man page, with the built CLI run as a
// process. The completion scripts are loaded by the shells themselves; the man page is rendered by
// groff with every warning on. Under CI=true an absent bash or groff is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { allCommands, commandTree } from '../../src/cli/help/commandTree.js';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasTool } from '../helpers/tools.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const MAN_PAGE = path.join(REPO, 'dist/man/autoenroll.1');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const CI = process.env.CI === 'true';
const tool = (name: string, args: string[]) => {
  const ok = hasTool(name, args);
  if (!ok && !CI) console.warn(`[skip] ${name} is not installed: its part of the help tests is skipped`);
  return ok || CI;
};
const haveBash = tool('bash', ['-c', 'true']);
const haveZsh = tool('zsh', ['-c', 'true']);
const haveFish = tool('fish', ['-c', 'true']);
const haveGroff = tool('groff', ['--version']);

const tree = commandTree(buildProgram(captureContext(), () => undefined));
const leaves = allCommands(tree).filter((c) => c.path.length > 0 && c.commands.length === 0);

describe('help', () => {
  it('every subcommand lists the global options in its --help', () => {
    expect(leaves.length).toBeGreaterThan(15);
    for (const c of leaves) {
      const r = cli([...c.path, '--help']);
      expect(r.status, c.path.join(' ')).toBe(0);
      expect(r.stdout, c.path.join(' ')).toContain('Global Options:');
      for (const flag of ['--config <path>', '--json', '--verbose', '--quiet']) expect(r.stdout, `${c.path.join(' ')} ${flag}`).toContain(flag);
      expect(r.stdout).not.toContain('(default: false)');
    }
  });

  it('service status and uninstall say what they do, and call the Windows registration a scheduled task', () => {
    const status = cli(['service', 'status', '--help']).stdout;
    expect(status).toMatch(/whether the agent is registered and running/);
    expect(status).not.toMatch(/status the autoenroll service/);
    const uninstall = cli(['service', 'uninstall', '--help']).stdout;
    expect(uninstall).toMatch(/stop the agent and remove its unit/);
    expect(uninstall).toMatch(/keys and certificates are kept/);
    const install = cli(['service', 'install', '--help']).stdout.replace(/\s+/g, ' ');
    expect(install).toContain('Windows scheduled task');
    expect(cli(['--help']).stdout).not.toMatch(/Windows service\b/);
  });

  it('an unknown command suggests the nearest one instead of printing the whole help', () => {
    const r = cli(['stauts']);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain("unknown command 'stauts'");
    expect(r.stderr).toContain('Did you mean status?');
    expect(r.stderr).toContain('autoenroll --help lists the commands');
    expect(r.stderr).not.toContain('Commands:');
    expect(r.stdout).toBe('');
    const sub = cli(['service', 'instal']);
    expect(sub.status).toBe(4);
    expect(sub.stderr).toContain('Did you mean install?');
    expect(sub.stderr.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('an unknown option points to the command\'s own help', () => {
    const r = cli(['status', '--bogus']);
    expect(r.status).toBe(4);
    expect(r.stderr).toBe("error: unknown option '--bogus'\n(autoenroll status --help shows its usage)\n");
  });

  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe('completion', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'autoenroll-completion-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  /** The script for `shell`, written to a file the shell can source. */
  const scriptFile = (shell: string): string => {
    const r = cli(['completion', shell]);
    expect(r.status).toBe(0);
    const file = path.join(work, `autoenroll.${shell}`);
    writeFileSync(file, r.stdout);
    return file;
  };

  it('rejects an unknown shell with a usage error', () => {
    const r = cli(['completion', 'tcsh']);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('Allowed choices are bash, zsh, fish');
  });

  it.runIf(haveBash)('bash: the script parses and completes commands, subcommands, options and values', () => {
    const file = scriptFile('bash');
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    const complete = (words: string[]): string => {
      const r = spawnSync('bash', ['-c', `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _autoenroll; printf '%s\\n' "\${COMPREPLY[@]}"`], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(complete(['autoenroll', 'sta'])).toBe('status');
    expect(complete(['autoenroll', 'serv'])).toBe('service');
    expect(complete(['autoenroll', 'service', '']).split('\n')).toEqual(['install', 'uninstall', 'status']);
    expect(complete(['autoenroll', '--config', '/tmp/c.yaml', 'service', 'install', '--d'])).toBe('--dry-run');
    expect(complete(['autoenroll', 'status', '--'])).toContain('--quiet');
    expect(complete(['autoenroll', 'status', '--'])).not.toContain('--version');
    expect(complete(['autoenroll', 'request', '--key', 'ec']).split('\n')).toEqual(['ec:p256', 'ec:p384', 'ec:p521']);
    expect(complete(['autoenroll', 'completion', '']).split('\n')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete(['autoenroll', 'lab', '']).split('\n')).toEqual(['approve', 'deny']);
    expect(complete(['autoenroll', 'request', '--out', REPO.slice(0, -2)]).split('\n')).toContain(REPO);
  });

  it.runIf(haveZsh)('zsh: the script parses and defines its completion function', () => {
    const file = scriptFile('zsh');
    expect(readFileSync(file, 'utf8').startsWith('#compdef autoenroll\n')).toBe(true);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const r = spawnSync('zsh', ['-fc', `autoload -U compinit && compinit -u -D && source '${file}' && whence -w _autoenroll _autoenroll_at`], { encoding: 'utf8' });
    expect(r.stdout).toContain('_autoenroll: function');
    expect(r.stdout).toContain('_autoenroll_at: function');
  });

  it.runIf(haveFish)('fish: the script parses and completes commands and options', () => {
    const file = scriptFile('fish');
    expect(spawnSync('fish', ['-n', file]).status).toBe(0);
    const r = spawnSync('fish', ['-c', `source '${file}'; complete -C "autoenroll service "; complete -C "autoenroll service install --d"`], { encoding: 'utf8' });
    const names = r.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(names).toEqual(expect.arrayContaining(['install', 'uninstall', 'status', '--dry-run']));
  });
});

describe('man page', () => {
  it('the build wrote dist/man/autoenroll.1 from the same definitions as --help', () => {
    expect(existsSync(MAN_PAGE), 'run npm run build').toBe(true);
    const page = readFileSync(MAN_PAGE, 'utf8');
    expect(page).toMatch(/^\.TH AUTOENROLL 1 \d{4}-\d\d-\d\d "autoenroll /m);
    for (const c of leaves) {
      expect(page, c.path.join(' ')).toContain(`.SS "${c.path.join(' ')}"`);
      for (const o of c.options) expect(page, `${c.path.join(' ')} ${o.long}`).toContain(`.B ${o.flags.replace(/<([^>]+)>/g, '\\fI$1\\fR').replace(/-/g, '\\-')}`);
    }
    expect(page).toContain('.SH EXIT STATUS');
  });

  it.runIf(haveGroff)('renders with groff -man -ww without a warning', () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: readFileSync(MAN_PAGE), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const text = spawnSync('groff', ['-man', '-Tutf8', '-P-c', '-P-b', '-P-u'], { input: readFileSync(MAN_PAGE), encoding: 'utf8' }).stdout;
    expect(text).toMatch(/service install \[options\]/);
    expect(text).toContain('--policy-server url');
  });

  it.runIf(tool('man', ['--version']))('renders with man -l without a warning', () => {
    const r = spawnSync('man', ['-l', MAN_PAGE], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('AUTOENROLL(1)');
  });
});
