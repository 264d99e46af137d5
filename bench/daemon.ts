// The service: control-socket round trips (status; pulse --wait = a full pass with a policy fetch
// against the lab) and the idle footprint of `autoenroll run` (the built CLI) with one certificate
// far from renewal. Run with `npm run bench -- daemon` (it builds first).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { readLiveStatus, requestPulse } from '../src/daemon/controlClient.js';
import { startLab } from '../src/lab/lab.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

const CLI = path.resolve('bin/autoenroll.js');

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) / 1024 : Number.NaN;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'ae-bench-daemon-'));
  const lab = await startLab({
    dir: path.join(work, 'lab'),
    port: 0,
    templates: [
      {
        name: 'BenchLong',
        oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.88.1',
        validitySeconds: 365 * 86400,
        renewalSeconds: 42 * 86400,
        minimalKeyLength: 256,
        enrollmentFlags: 0x20 | 0x40 | 0x10000,
        subjectNameFlags: 0x1 | 0x8 | 0x10000,
      },
    ],
  });
  const user = lab.users[0]!;
  const config = path.join(work, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      stateDir: './state',
      trust: { caFile: lab.trustBundlePath },
      policyServers: [
        { url: lab.endpoint('KeyBasedRenewal_ADPolicyProvider_CEP_Certificate').url, auth: 'certificate', priority: 1 },
        { url: lab.endpoint('ADPolicyProvider_CEP_UsernamePassword').url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
      ],
      certificates: [{ id: 'bench', template: 'BenchLong', subject: 'CN=bench.lab.test', key: { algorithm: 'EC', curve: 'P-256' } }],
      logging: { format: 'json' },
    }),
  );
  const stateDir = path.join(work, 'state');
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
    env: { ...process.env, LAB_PASSWORD: user.password, AUTOENROLL_CONFIG: '', NOTIFY_SOCKET: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const deadline = Date.now() + 30_000;
    while (!log.includes('"pass.finished"')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the service did not finish its first pass:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Idle: 20 s of sleep after the first pass.
    await new Promise((r) => setTimeout(r, 2_000));
    const cpu0 = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 20_000));
    const idleCpuPercent = ((cpuMs(child.pid!) - cpu0) / 20_000) * 100;
    const idleRss = rssMiB(child.pid!);

    const status = await sample(() => readLiveStatus(stateDir), 50, 5);
    const pulse = await sample(() => requestPulse(stateDir, true), 20, 2);
    return [
      { name: 'control socket: status round trip', medianMs: median(status), budgetMs: 20 },
      { name: 'control socket: pulse --wait (pass with policy fetch)', medianMs: median(pulse), budgetMs: 500 },
      {
        name: 'run: idle footprint (1 certificate, after first pass)',
        medianMs: 0,
        note: `RSS ${idleRss.toFixed(1)} MiB after 20 s idle; CPU ${idleCpuPercent.toFixed(3)}% over 20 s; RSS after ${pulse.length + 2} pulses ${rssMiB(child.pid!).toFixed(1)} MiB`,
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await lab.close();
  }
}
