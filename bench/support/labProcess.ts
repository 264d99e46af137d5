// The lab in a separate `node` process, so that a whole-process benchmark of the CLI measures the
// client and the lab does not share the bench process's event loop. The child is this same bundled
// bench file started again with AUTOENROLL_BENCH_LAB set: the module top level below then starts the
// lab, prints its description as one JSON line on stdout and never lets the rest of the file run. CPU time of the child is read from
// /proc (Linux) so a bench can report the lab's share separately.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLab } from '../../src/lab/lab.js';
import type { LabTemplate } from '../../src/lab/lab.js';

export interface LabProcess {
  trustBundlePath: string;
  user: { username: string; password: string };
  endpointUrl(name: string): string;
  /** user + system CPU time of the lab process so far, in ms (NaN where /proc is missing). */
  cpuMs(): number;
  close(): Promise<void>;
}

interface LabDescription {
  trustBundlePath: string;
  user: { username: string; password: string };
  endpoints: Record<string, string>;
}

const CHILD_ENV = 'AUTOENROLL_BENCH_LAB';

if (process.env[CHILD_ENV] !== undefined) {
  const { dir, templates } = JSON.parse(process.env[CHILD_ENV]) as { dir: string; templates: LabTemplate[] };
  delete process.env[CHILD_ENV];
  const lab = await startLab({ dir, port: 0, templates });
  const description: LabDescription = {
    trustBundlePath: lab.trustBundlePath,
    user: lab.users[0] as { username: string; password: string },
    endpoints: Object.fromEntries(lab.endpoints.map((e) => [e.name, e.url])),
  };
  process.stdout.write(`${JSON.stringify(description)}\n`);
  process.stdin.resume();
  // The parent closes our stdin to stop us (also when it dies).
  process.stdin.on('end', () => void lab.close().then(() => process.exit(0)));
  // Nothing else of the bundled file may run in the lab process (its top level would be the bench).
  await new Promise<never>(() => undefined);
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

/** `nodeArgs` go to the lab's node (e.g. --cpu-prof to see where the lab's time goes). */
export function startLabProcess(dir: string, templates: LabTemplate[], nodeArgs: string[] = []): Promise<LabProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify({ dir, templates }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`lab process exited ${code} before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      const description = JSON.parse(out.slice(0, newline)) as LabDescription;
      child.removeAllListeners('exit');
      resolve({
        trustBundlePath: description.trustBundlePath,
        user: description.user,
        endpointUrl: (name) => {
          const url = description.endpoints[name];
          if (url === undefined) throw new Error(`lab has no endpoint ${name}`);
          return url;
        },
        cpuMs: () => processCpuMs(child.pid),
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.stdin?.end();
          }),
      });
    });
  });
}
