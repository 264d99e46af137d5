// `autoenroll completion bash|zsh|fish`: prints a completion script for the shell, made from the
// same command definitions as --help (help/completionScripts.ts).
import { ExitCode, UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { commandTree } from '../help/commandTree.js';
import { completionScript, SHELLS } from '../help/completionScripts.js';
import type { Shell } from '../help/completionScripts.js';
import { buildProgram } from '../main.js';
import { guardStdout } from '../stdoutGuard.js';

export async function run(options: { args?: string[] }, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const shell = options.args?.[0];
  if (!(SHELLS as readonly string[]).includes(shell ?? '')) {
    throw new UsageError(`completion expects one of ${SHELLS.join(', ')}, got "${shell ?? ''}"`, 'UNKNOWN_SHELL');
  }
  const program = buildProgram(context, () => undefined);
  context.stdout.write(completionScript(shell as Shell, commandTree(program)));
  return ExitCode.OK;
}
