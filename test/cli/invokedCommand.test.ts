import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { invokedCommand, TOP_LEVEL_COMMANDS } from '../../src/cli/invokedCommand.js';
import { buildProgram, runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';

const noExit = (): void => undefined;

/** Help text of a command and of every subcommand under it, keyed by path. */
function helpTree(command: Command, prefix = ''): Record<string, string> {
  const name = `${prefix}${command.name()}`;
  const tree: Record<string, string> = { [name]: command.helpInformation() };
  for (const sub of command.commands) Object.assign(tree, helpTree(sub, `${name} `));
  return tree;
}

describe('invokedCommand', () => {
  it.each([
    [['status'], 'status'],
    [['--config', 'status', 'plan'], 'plan'],
    [['--config=/etc/a.yaml', '--json', 'status', '--id', 'web'], 'status'],
    [['--json', 'lab', 'approve', '12'], 'lab'],
    [['request', '--policy-server', 'https://x/'], 'request'],
  ])('%j names %s', (argv, expected) => {
    expect(invokedCommand(argv)).toBe(expected);
  });

  it.each([[[]], [['--version']], [['--help']], [['status', '--help']], [['help', 'status']], [['statsu']], [['-h', 'status']], [['--', 'status']]])(
    '%j is left to commander with every command defined',
    (argv) => {
      expect(invokedCommand(argv)).toBeUndefined();
    },
  );

  it('knows every top-level command main.ts defines, in the same order', () => {
    const program = buildProgram(captureContext(), noExit);
    expect(program.commands.map((c) => c.name())).toEqual([...TOP_LEVEL_COMMANDS]);
  });
});

describe('defining only the invoked command', () => {
  it('gives every command (and subcommand) the same definition and help as the full program', () => {
    const full = helpTree(buildProgram(captureContext(), noExit));
    for (const name of TOP_LEVEL_COMMANDS) {
      const only = buildProgram(captureContext(), noExit, name);
      expect(only.commands.map((c) => c.name())).toEqual([name]);
      const tree = helpTree(only.commands[0] as Command, 'autoenroll ');
      for (const [path, help] of Object.entries(tree)) expect(help, path).toBe(full[path]);
    }
  });

  it('still rejects an unknown option of the invoked command, pointing to its help (exit 4)', async () => {
    const ctx = captureContext();
    expect(await runCli(['plan', '--bogus'], ctx)).toBe(4);
    expect(ctx.err()).toContain("unknown option '--bogus'");
    expect(ctx.err()).toContain('(autoenroll plan --help shows its usage)');
  });

  it('answers an unknown command as before, naming the close one', async () => {
    const ctx = captureContext();
    expect(await runCli(['statsu'], ctx)).toBe(4);
    expect(ctx.err()).toContain("unknown command 'statsu'");
    expect(ctx.err()).toContain('status');
  });
});
