// Whole-process CLI figures (the built launcher dist/main.js, started as a new `node` process each
// time, like a user or a monitoring script would): bare `node -e 0` for reference, `autoenroll
// --version`, `autoenroll status` over enrolled certificates, `autoenroll request` with an EC P-256
// key against the lab, which runs in its own process so that the client's cost is what is timed.
// Each command is measured with its V8 code cache (a private folder of this run, filled by the
// warm-up runs) and without one (AUTOENROLL_CODE_CACHE=off: the split ES module build). Key
// generation is measured on its own so its share is visible. (`enroll` of 100 certificates, per
// certificate, is in bench/agent.ts.)
//
// AUTOENROLL_BENCH_MAIN=/path/to/main.js benchmarks another build.
import { generateKeyPair } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { LabTemplate } from '../src/lab/lab.js';
import { runMeasured } from './support/childCpu.js';
import type { LabProcess } from './support/labProcess.js';
import { startLabProcess } from './support/labProcess.js';
import { median } from './types.js';
import type { BenchResult } from './types.js';

const MAIN = path.resolve(process.env.AUTOENROLL_BENCH_MAIN ?? 'dist/main.js');
const RUNS = Number(process.env.AUTOENROLL_BENCH_RUNS ?? 15);

const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
const TEMPLATES: LabTemplate[] = [
  // Issued at once; EC keys allowed (minimal key length 256).
  { name: 'BenchInstant', oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.77.1', validitySeconds: 86_400, renewalSeconds: 3600, minimalKeyLength: 256, enrollmentFlags: 0x20 },
];

interface Samples {
  wallMs: number[];
  cpuMs: number[];
}

/** Runs `node MAIN ...args` 2 + `runs` times (the first two unmeasured: they write the code cache). */
async function timed(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}, runs = RUNS, extra?: (i: number) => string[]): Promise<Samples> {
  const samples: Samples = { wallMs: [], cpuMs: [] };
  for (let i = -2; i < runs; i++) {
    const run = await runMeasured([MAIN, ...args, ...(extra ? extra(i) : [])], options);
    if (run.code !== 0) throw new Error(`autoenroll ${args.join(' ')} exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    if (i >= 0) {
      samples.wallMs.push(run.wallMs);
      samples.cpuMs.push(run.cpuMs);
    }
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

function writeConfig(dir: string, lab: LabProcess, count: number): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      stateDir: './state',
      trust: { caFile: lab.trustBundlePath },
      policyServers: [{ url: lab.endpointUrl(CEP_USERNAME), auth: 'username', priority: 10, username: lab.user.username, password: { env: 'BENCH_PASSWORD' } }],
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
  const lab = await startLabProcess(path.join(work, 'lab'), TEMPLATES);
  const cached = { BENCH_PASSWORD: lab.user.password, AUTOENROLL_CODE_CACHE: path.join(work, 'code-cache') };
  const uncached = { BENCH_PASSWORD: lab.user.password, AUTOENROLL_CODE_CACHE: 'off' };
  try {
    const results: BenchResult[] = [];
    const node = await bareNode(RUNS);
    results.push({ name: 'node -e 0 (reference)', medianMs: node });
    const version = await timed(['--version'], { env: cached });
    results.push({ name: 'autoenroll --version', medianMs: median(version.wallMs) });

    // status over 3 enrolled certificates (the policy cached by the enroll pass).
    const statusConfig = writeConfig(path.join(work, 'status'), lab, 3);
    const enrolled = await runMeasured([MAIN, '--config', statusConfig, 'enroll'], { env: cached });
    if (enrolled.code !== 0) throw new Error(`enroll for the status bench failed: ${enrolled.stderr}`);
    for (const [label, env] of [['', cached], [', no code cache', uncached]] as const) {
      const status = await timed(['--config', statusConfig, 'status'], { env });
      results.push({
        name: `autoenroll status (3 certificates${label})`,
        medianMs: median(status.wallMs),
        ...(label === '' ? { budgetMs: 120 } : {}),
        note: `CPU ${median(status.cpuMs).toFixed(0)} ms; ${(median(status.wallMs) - node).toFixed(0)} ms over bare node`,
      });
    }

    // request: one-shot EC P-256 enrollment, a new --out folder each time.
    const ecKeygen = await keygenMs('ec', 50);
    const requestArgs = ['request', '--policy-server', lab.endpointUrl(CEP_USERNAME), '--template', 'BenchInstant', '--username', lab.user.username, '--password-stdin', '--subject', 'CN=bench.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out'];
    for (const [label, env] of [['', cached], [', no code cache', uncached]] as const) {
      const labBefore = lab.cpuMs();
      const request = await timed(requestArgs, { stdin: `${lab.user.password}\n`, env }, RUNS, (i) => [path.join(work, `request${label === '' ? '' : '-nocache'}`, String(i + 2))]);
      const labPerRun = (lab.cpuMs() - labBefore) / (RUNS + 2);
      results.push({
        name: `autoenroll request (EC P-256, lab${label})`,
        medianMs: median(request.wallMs),
        ...(label === '' ? { budgetMs: 150 } : {}),
        note: `client CPU ${median(request.cpuMs).toFixed(0)} ms; lab CPU ${labPerRun.toFixed(0)} ms per request (mean); keygen share ${ecKeygen.toFixed(2)} ms; ${(median(request.wallMs) - node).toFixed(0)} ms over bare node`,
      });
    }

    results.push({ name: 'keygen RSA 2048 (for comparison)', medianMs: await keygenMs('rsa', 5) });
    return results;
  } finally {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  }
}
