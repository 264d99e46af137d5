// The build's entry for autoenroll(1) (scripts/build.mjs bundles and runs it): the man page of the
// program exactly as the CLI defines it.
import { PassThrough } from 'node:stream';
import { buildProgram } from '../main.js';
import { commandTree } from './commandTree.js';
import { manPage } from './manPage.js';

declare const __AUTOENROLL_VERSION__: string | undefined;

export function renderManPage(date: string): string {
  const sink = { write: () => true };
  const program = buildProgram({ stdout: sink, stderr: sink, stdin: new PassThrough(), env: {}, cwd: '/', signal: new AbortController().signal }, () => undefined);
  const version = typeof __AUTOENROLL_VERSION__ === 'string' ? __AUTOENROLL_VERSION__ : '0.0.0-dev';
  return manPage({ tree: commandTree(program), version, date });
}
