// `autoenroll enroll` of 100 certificates in one config, whole process (node dist/main.js), against
// the lab running in its own process (templates that issue at once and accept EC P-256 keys), so
// the figures are the client's: wall time per certificate, the client's CPU time per certificate
// (all its threads), and separately the lab's CPU time per certificate. Reported beside the EC P-256
// key generation median, the budget's variable part (budget: keygen + 10 ms per certificate). Run
// after `npm run build` (npm run bench does it).
import { generateKeyPair } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { runMeasured } from './support/childCpu.js';
import { startLabProcess } from './support/labProcess.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

const COUNT = 100;
const RUNS = Number(process.env.AUTOENROLL_BENCH_RUNS ?? 3);

export async function run(): Promise<BenchResult[]> {
  const bundle = process.env.AUTOENROLL_BUNDLE ?? resolve('dist/main.js');
  const work = mkdtempSync(join(tmpdir(), 'autoenroll-bench-agent-'));
  const lab = await startLabProcess(join(work, 'lab'), [
    { name: 'BenchInstant', oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.77', validitySeconds: 86400, renewalSeconds: 3600, minimalKeyLength: 256 },
  ]);
  try {
    const writeConfig = (name: string, count: number): string => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'config.yaml');
      writeFileSync(
        file,
        stringify({
          stateDir: './state',
          trust: { caFile: lab.trustBundlePath },
          policyServers: [{ url: lab.endpointUrl('ADPolicyProvider_CEP_UsernamePassword'), auth: 'username', username: lab.user.username, password: { env: 'BENCH_PASSWORD' } }],
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
    const env = { BENCH_PASSWORD: lab.user.password, AUTOENROLL_CODE_CACHE: join(work, 'code-cache') };
    const enroll = async (config: string) => {
      const labBefore = lab.cpuMs();
      const result = await runMeasured([bundle, '--config', config, '--quiet', 'enroll'], { env });
      if (result.code !== 0) throw new Error(`enroll exited ${result.code}: ${result.stderr}`);
      return { ...result, labCpuMs: lab.cpuMs() - labBefore };
    };

    const keygen = median(await sample(() => promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' }), 50));
    await enroll(writeConfig('warm-up', 1));
    const hundred: Awaited<ReturnType<typeof enroll>>[] = [];
    const single: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      hundred.push(await enroll(writeConfig(`hundred-${i}`, COUNT)));
      single.push((await enroll(writeConfig(`single-${i}`, 1))).wallMs);
    }
    const perCertificate = (pick: (r: (typeof hundred)[number]) => number): number => median(hundred.map(pick)) / COUNT;
    return [
      { name: 'EC P-256 key generation (node:crypto)', medianMs: keygen },
      {
        name: `enroll ${COUNT} certificates, wall per certificate`,
        medianMs: perCertificate((r) => r.wallMs),
        budgetMs: keygen + 10,
        note: `total ${median(hundred.map((r) => r.wallMs)).toFixed(0)} ms; lab in its own process`,
      },
      { name: `enroll ${COUNT} certificates, client CPU per certificate`, medianMs: perCertificate((r) => r.cpuMs), note: 'user + system of the agent process, all threads' },
      { name: `enroll ${COUNT} certificates, lab CPU per certificate`, medianMs: perCertificate((r) => r.labCpuMs), note: '/proc ticks of the lab process (10 ms resolution per run)' },
      { name: 'enroll 1 certificate, whole process', medianMs: median(single) },
    ];
  } finally {
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  }
}
