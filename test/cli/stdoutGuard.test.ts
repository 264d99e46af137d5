// `autoenroll service install --dry-run | head`: when the reader of stdout goes away, the process
// ends quietly with its exit code instead of crashing on an unhandled EPIPE.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardStdout } from '../../src/cli/stdoutGuard.js';
import { bundleCli } from '../e2e/cliBundle.js';

describe('stdout guard', () => {
  it('ends with the current exit code on EPIPE and rethrows anything else', () => {
    const stream = new PassThrough();
    const exits: number[] = [];
    guardStdout(stream, (code) => exits.push(code));
    guardStdout(stream, (code) => exits.push(code + 100)); // installed once only
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([typeof process.exitCode === 'number' ? process.exitCode : 0]);
    expect(() => stream.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
  });

  it('ignores streams that cannot emit errors (test capture contexts)', () => {
    expect(() => guardStdout({ write: () => true })).not.toThrow();
  });
});

describe('a closed stdout pipe, as with `| head`', () => {
  let bundle: string;
  let work: string;
  beforeAll(async () => {
    bundle = await bundleCli();
    work = mkdtempSync(join(tmpdir(), 'autoenroll-epipe-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('service install --dry-run ends quietly', async () => {
    const child = spawn(process.execPath, [bundle, '--config', join(work, 'config.yaml'), 'service', 'install', '--dry-run'], {
      env: { ...process.env, AUTOENROLL_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader leaves before the first line is written.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\(/);
    expect(code).toBe(0);
  });
});
