// README "The first hour": runs the walkthrough's commands (the built CLI, the lab in its own
// process) and checks that what they print matches every line the README shows. In the README `…`
// stands for what differs between machines, and a line `…` for lines left out.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasOpenssl } from '../helpers/tools.js';

const REPO = path.resolve(import.meta.dirname, '../..');

interface Step {
  command: string;
  expected: string[];
}

/** The `$ command` lines of the section's console blocks, each with the lines shown after it. */
export function walkthroughSteps(readme: string): Step[] {
  const section = /^## The first hour\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const steps: Step[] = [];
  for (const block of section.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    for (const line of (block[1] as string).replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else steps.at(-1)?.expected.push(line);
    }
  }
  return steps;
}

/** A regular expression for the shown lines: `…` any text, a line `…` any lines. */
export function shownAsPattern(lines: readonly string[]): RegExp {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const parts = lines.map((line) => (line === '…' ? '(?:[^\\n]*\\n)*?' : `${line.split('…').map(escape).join('[^\\n]*')}\\n`));
  return new RegExp(`^${parts.join('')}$`);
}

describe.skipIf(!hasOpenssl)('README: the first hour', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'ae-first-hour-'));
  const labDir = path.join(work, 'lab');
  let lab: ChildProcess | undefined;
  afterAll(() => {
    lab?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('every line shown is what the commands print', async () => {
    const steps = walkthroughSteps(readFileSync(path.join(REPO, 'README.md'), 'utf8'));
    expect(steps.map((s) => s.command.split(' ').slice(0, 4).join(' '))).toContain('npx autoenroll lab --dir');
    expect(steps.length).toBeGreaterThanOrEqual(7);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, TMPDIR: work };
    const local = (text: string): string => text.split('/tmp/lab').join(labDir);

    for (const step of steps) {
      const command = local(step.command);
      let output: string;
      if (command.startsWith('export ')) {
        const password = /password: (\S+)/.exec(readFileSync(path.join(work, 'lab.out'), 'utf8'))![1]!;
        env.AUTOENROLL_PASSWORD = password;
        continue;
      } else if (command.startsWith('npx autoenroll lab ')) {
        output = await new Promise<string>((resolve, reject) => {
          const args = [...command.slice('npx autoenroll '.length).split(' '), '--port', '0'];
          const child = spawn(process.execPath, [CLI, ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'ignore'] });
          lab = child;
          let out = '';
          child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
            if (out.includes('stop with Ctrl-C\n')) resolve(out);
          });
          child.once('exit', (code) => reject(new Error(`the lab exited ${code}`)));
        });
        writeFileSync(path.join(work, 'lab.out'), output);
        // "save the printed configuration as config.yaml"
        const snippet = /^a configuration for this lab .*:\n((?: {2}.*\n)+)/m.exec(output)![1]!.replace(/^ {2}/gm, '');
        writeFileSync(path.join(work, 'config.yaml'), snippet);
      } else {
        expect(command.startsWith('npx autoenroll '), command).toBe(true);
        const r = spawnSync(process.execPath, [CLI, ...command.slice('npx autoenroll '.length).split(' ')], { env, cwd: work, encoding: 'utf8', timeout: 90_000 });
        output = `${r.stdout}${r.stderr}`;
      }
      expect(output, command).toMatch(shownAsPattern(step.expected.map(local)));
    }
  }, 180_000);
});
