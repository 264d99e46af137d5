// The man page and shell completions the packages ship when autoenroll has them:
// - man page autoenroll(1): dist/man/autoenroll.1 (made by the build), else man/autoenroll.1 (roff
//   source in the repository);
// - completions: what `autoenroll completion bash|zsh|fish` prints, asked of the built executable,
//   once `autoenroll --help` lists a `completion` command.
// Neither exists yet in every version: an absent one is left out of the packages and reported; a
// listed `completion` command that fails stops the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where each shell looks for completions shipped by packages, by shell. */
export const COMPLETION_PATHS = {
  bash: 'usr/share/bash-completion/completions/autoenroll',
  zsh: 'usr/share/zsh/vendor-completions/_autoenroll',
  fish: 'usr/share/fish/vendor_completions.d/autoenroll.fish',
};

export const MAN_PAGE_SOURCES = ['dist/man/autoenroll.1', 'man/autoenroll.1'];

function runExecutable(executable, args) {
  const result = spawnSync(executable, args, { encoding: 'utf8', env: {}, timeout: 30_000 });
  if (result.error) throw new Error(`${executable} ${args.join(' ')} could not be run: ${result.error.message}`);
  return result;
}

/**
 * { manPage: absolute path | null, completions: [{ shell, text, path }], notes: [string] } for the
 * repository at `root` and the built `executable`.
 */
export function collectExtras({ root, executable }) {
  const notes = [];
  const manSource = MAN_PAGE_SOURCES.map((file) => path.join(root, file)).find((file) => existsSync(file)) ?? null;
  if (manSource === null) notes.push(`no man page (looked for ${MAN_PAGE_SOURCES.join(', ')}): none packaged`);

  const completions = [];
  const help = runExecutable(executable, ['--help']);
  if (help.status !== 0) throw new Error(`${executable} --help exited ${help.status}: ${help.stderr}`);
  if (!/^\s+completion\b/m.test(help.stdout)) {
    notes.push('no `autoenroll completion` command: no shell completions packaged');
  } else {
    for (const [shell, file] of Object.entries(COMPLETION_PATHS)) {
      const result = runExecutable(executable, ['completion', shell]);
      if (result.status !== 0 || result.stdout.trim() === '') {
        throw new Error(`autoenroll completion ${shell} is listed by --help but exited ${result.status} with ${result.stdout.trim() === '' ? 'no output' : 'output'}: ${result.stderr.trim()}`);
      }
      completions.push({ shell, text: result.stdout, path: file });
    }
  }
  return { manPage: manSource, completions, notes };
}
