// `autoenroll enroll` of 100 certificates in one config, whole process (node dist/main.js), against
// the in-process lab with templates that issue at once and accept EC P-256 keys. Reported per
// certificate beside the EC P-256 key generation median, which is the budget's variable part
// (budget: keygen + 10 ms per certificate). Run after `npm run build` (npm run bench does it).
import { spawn } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startLab } from '../src/lab/lab.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

const COUNT = 100;
const RUNS = 3;

export async function run(): Promise<BenchResult[]> {
  const bundle = process.env.AUTOENROLL_BUNDLE ?? resolve('dist/main.js');
  const work = mkdtempSync(join(tmpdir(), 'autoenroll-bench-agent-'));
  const lab = await startLab({
    dir: join(work, 'lab'),
    port: 0,
    templates: [{ name: 'BenchInstant', oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.77', validitySeconds: 86400, renewalSeconds: 3600, minimalKeyLength: 256 }],
  });
  try {
    const user = lab.users[0] as { username: string; password: string };
    const writeConfig = (name: string, count: number): string => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'config.yaml');
      writeFileSync(
        file,
        stringify({
          stateDir: './state',
          trust: { caFile: lab.trustBundlePath },
          policyServers: [{ url: lab.endpoint('ADPolicyProvider_CEP_UsernamePassword').url, auth: 'username', username: user.username, password: { env: 'BENCH_PASSWORD' } }],
          certificates: Array.from({ length: count }, (_, i) => ({
            id: `c${i}`,
            template: 'BenchInstant',
            subject: `CN=c${i}.bench.test`,
            key: { algorithm: 'EC', curve: 'P-256' },
            output: { cert: `./out/c${i}.pem`, key: `./out/c${i}.key`, chain: `./out/c${i}-chain.pem` },
          })),
        }),
      );
      return file;
    };
    // Asynchronous spawn: the lab serves from this process's event loop.
    const enroll = (config: string): Promise<number> =>
      new Promise((done, fail) => {
        const start = performance.now();
        const child = spawn(process.execPath, [bundle, '--config', config, '--quiet', 'enroll'], { env: { ...process.env, BENCH_PASSWORD: user.password }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('error', fail);
        child.on('close', (code) => (code === 0 ? done(performance.now() - start) : fail(new Error(`enroll exited ${code}: ${stderr}`))));
      });

    const keygen = median(await sample(() => promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' }), 50));
    const hundred: number[] = [];
    const single: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      hundred.push(await enroll(writeConfig(`hundred-${i}`, COUNT)));
      single.push(await enroll(writeConfig(`single-${i}`, 1)));
    }
    const perCertificate = median(hundred) / COUNT;
    return [
      { name: 'EC P-256 key generation (node:crypto)', medianMs: keygen },
      { name: `enroll ${COUNT} certificates, whole process, per certificate`, medianMs: perCertificate, budgetMs: keygen + 10, note: `total ${median(hundred).toFixed(0)} ms` },
      { name: 'enroll 1 certificate, whole process', medianMs: median(single) },
    ];
  } finally {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  }
}
