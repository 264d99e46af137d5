// Whole-process runs of the built CLI with their own CPU time: a one-line preload (a data: URL
// module, so nothing is added to the CLI) writes process.cpuUsage() — user + system of every thread
// of the process — to fd 3 on exit.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

const PRELOAD = "data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();writeSync(3,String((u.user+u.system)/1000))})";

export interface ChildRun {
  code: number | null;
  wallMs: number;
  /** user + system CPU time of the child, in ms. */
  cpuMs: number;
  stderr: string;
}

export function runMeasured(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', PRELOAD, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let cpu = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => (cpu += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, wallMs: performance.now() - started, cpuMs: Number(cpu), stderr }));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}
