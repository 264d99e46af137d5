// Whole-process CLI figures (the built bundle, started as a new `node` process each time, like a
// user or a monitoring script would): bare `node -e 0` for reference, `autoenroll --version`,
// `autoenroll status` over enrolled certificates, `autoenroll request` with an EC P-256 key against
// the in-process lab. Key generation is measured on its own so its share is visible. (`enroll` of 100
// certificates, per certificate, is in bench/agent.ts.)
//
// AUTOENROLL_BENCH_MAIN=/path/to/main.js benchmarks another build of the bundle.
import { generateKeyPair } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startLab } from '../src/lab/lab.js';
import type { Lab, LabTemplate } from '../src/lab/lab.js';
import { median } from './types.js';
import type { BenchResult } from './types.js';

const MAIN = path.resolve(process.env.AUTOENROLL_BENCH_MAIN ?? 'dist/main.js');
const RUNS = Number(process.env.AUTOENROLL_BENCH_RUNS ?? 15);

const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
const TEMPLATES: LabTemplate[] = [
  // Issued at once; EC keys allowed (minimal key length 256).
  { name: 'BenchInstant', oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.77.1', validitySeconds: 86_400, renewalSeconds: 3600, minimalKeyLength: 256, enrollmentFlags: 0x20 },
];

interface Run {
  code: number | null;
  ms: number;
  stderr: string;
}

/** Starts `node MAIN ...args` and resolves when it exits (the lab in this process keeps serving meanwhile). */
function runCli(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, ms: performance.now() - started, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

async function timed(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; expect?: number } = {}, runs = RUNS, prepare?: (i: number) => string[]): Promise<number[]> {
  const samples: number[] = [];
  for (let i = -2; i < runs; i++) {
    const run = await runCli(prepare ? [...args, ...prepare(i)] : args, options);
    if (run.code !== (options.expect ?? 0)) throw new Error(`autoenroll ${args.join(' ')} exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    if (i >= 0) samples.push(run.ms);
  }
  return samples;
}

async function bareNode(runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = -2; i < runs; i++) {
    const started = performance.now();
    await new Promise((resolve) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', resolve));
    if (i >= 0) samples.push(performance.now() - started);
  }
  return median(samples);
}

async function keygenMs(spec: 'ec' | 'rsa', runs: number): Promise<number> {
  const generate = promisify(generateKeyPair);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    if (spec === 'ec') await generate('ec', { namedCurve: 'P-256' });
    else await generate('rsa', { modulusLength: 2048 });
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function writeConfig(dir: string, lab: Lab, count: number): string {
  const user = lab.users[0] as { username: string; password: string };
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      stateDir: './state',
      trust: { caFile: lab.trustBundlePath },
      policyServers: [{ url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: 'BENCH_PASSWORD' } }],
      certificates: Array.from({ length: count }, (_, i) => ({
        id: `c${i}`,
        template: 'BenchInstant',
        subject: `CN=c${i}.bench.test`,
        key: { algorithm: 'EC', curve: 'P-256' },
        output: { cert: `./out/c${i}.pem`, key: `./out/c${i}.key` },
      })),
    }),
  );
  return file;
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'autoenroll-bench-cli-'));
  const lab = await startLab({ dir: path.join(work, 'lab'), port: 0, templates: TEMPLATES });
  const user = lab.users[0] as { username: string; password: string };
  const env = { BENCH_PASSWORD: user.password };
  try {
    const results: BenchResult[] = [];
    const node = await bareNode(RUNS);
    results.push({ name: 'node -e 0 (reference)', medianMs: node });
    results.push({ name: 'autoenroll --version', medianMs: median(await timed(['--version'])) });

    // status over 3 enrolled certificates (the policy cached by the enroll pass).
    const statusConfig = writeConfig(path.join(work, 'status'), lab, 3);
    const enrolled = await runCli(['--config', statusConfig, 'enroll'], { env });
    if (enrolled.code !== 0) throw new Error(`enroll for the status bench failed: ${enrolled.stderr}`);
    const status = median(await timed(['--config', statusConfig, 'status'], { env }));
    results.push({ name: 'autoenroll status (3 certificates)', medianMs: status, budgetMs: 120, note: `${(status - node).toFixed(0)} ms over bare node` });
    results.push({ name: 'autoenroll status --json (3 certificates)', medianMs: median(await timed(['--config', statusConfig, '--json', 'status'], { env })) });

    // request: one-shot EC P-256 enrollment, a new --out folder each time.
    const ecKeygen = await keygenMs('ec', 50);
    const requestArgs = ['request', '--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', 'BenchInstant', '--username', user.username, '--password-stdin', '--subject', 'CN=bench.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out'];
    const request = median(await timed(requestArgs, { stdin: `${user.password}\n` }, RUNS, (i) => [path.join(work, 'request', String(i + 2))]));
    results.push({ name: 'autoenroll request (EC P-256, lab)', medianMs: request, budgetMs: 150, note: `keygen share ${ecKeygen.toFixed(2)} ms; ${(request - node).toFixed(0)} ms over bare node` });

    results.push({ name: 'keygen RSA 2048 (for comparison)', medianMs: await keygenMs('rsa', 5) });
    return results;
  } finally {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  }
}
