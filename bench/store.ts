// State store figures for `status` and the executor: reading state + current generation of 100
// certificates, committing a generation (fsyncs included), and the config loader on a
// 100-certificate file. Real files in a temporary folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/loadConfig.js';
import { emptyState } from '../src/store/stateModel.js';
import type { NewGeneration } from '../src/store/stateModel.js';
import { openStore } from '../src/store/store.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

const COUNT = 100;

function fakeGeneration(i: number): NewGeneration {
  // Sizes of a real RSA-2048 key, certificate and two-CA chain; the store does not parse them.
  const pem = (label: string, bytes: number) => `-----BEGIN ${label}-----\n${'A'.repeat(bytes)}\n-----END ${label}-----\n`;
  return {
    keyPem: pem('PRIVATE KEY', 1700),
    certPem: pem('CERTIFICATE', 1600),
    chainPem: pem('CERTIFICATE', 1500) + pem('CERTIFICATE', 1400),
    meta: {
      thumbprintSha1: i.toString(16).padStart(40, '0'),
      serialHex: i.toString(16).padStart(32, '0'),
      notBefore: new Date().toISOString(),
      notAfter: new Date(Date.now() + 365 * 86400_000).toISOString(),
      createdAt: new Date().toISOString(),
      keyReused: false,
    },
  };
}

function spawnOnce(code: string): number {
  const start = performance.now();
  execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd() });
  return performance.now() - start;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoenroll-bench-store-'));
  try {
    const store = openStore(path.join(dir, 'state'));
    const ids = Array.from({ length: COUNT }, (_, i) => `cert-${i}`);
    for (const [i, id] of ids.entries()) {
      const cert = store.certificate(id);
      await cert.writeState({ ...emptyState(id), status: 'VALID', lastSuccessAt: new Date().toISOString() });
      await cert.commitGeneration(fakeGeneration(i));
    }

    const statusRead = await sample(async () => {
      const rows = await Promise.all(
        ids.map(async (id) => {
          const cert = store.certificate(id);
          return [await cert.readState(), await cert.currentMeta()];
        }),
      );
      if (rows.length !== COUNT) throw new Error('bad read');
    }, 30);
    const fullRead = await sample(async () => {
      await Promise.all(ids.map(async (id) => [await store.certificate(id).readState(), await store.certificate(id).current()]));
    }, 30);

    const commitStore = openStore(path.join(dir, 'commits'));
    let n = 0;
    const commit = await sample(() => commitStore.certificate('one').commitGeneration(fakeGeneration(n++)), 30);
    const lock = await sample(async () => (await commitStore.lock('one'))(), 50);

    const yaml = ['policyServers:', '  - { url: https://cep.example/CEP, auth: username, username: u, password: { env: PW } }', 'certificates:'];
    for (const id of ids) {
      yaml.push(`  - { id: ${id}, template: Machine, subject: CN=${id}.example, dns: [${id}.example], output: { cert: ./out/${id}.pem, key: ./out/${id}.key } }`);
    }
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, `${yaml.join('\n')}\n`);
    const load = await sample(() => loadConfig(configFile), 30);

    // Process-level cost of the loader's dependencies, in interleaved pairs so that load from
    // other processes on the machine hits both sides alike.
    const bareSamples: number[] = [];
    const depsSamples: number[] = [];
    for (let i = 0; i < 11; i++) {
      bareSamples.push(spawnOnce('0'));
      depsSamples.push(spawnOnce("await import('yaml'); await import('valibot');"));
    }
    const bare = median(bareSamples);

    return [
      { name: `read state + current meta, ${COUNT} certificates`, medianMs: median(statusRead), budgetMs: 25, note: `${(median(statusRead) / COUNT).toFixed(3)} ms/cert` },
      { name: `read state + full current generation, ${COUNT} certificates`, medianMs: median(fullRead), note: `${(median(fullRead) / COUNT).toFixed(3)} ms/cert` },
      { name: 'commit one generation (4 files, fsyncs, pointer flip)', medianMs: median(commit), budgetMs: 25, note: 'fsync-bound: 6 fsyncs + 2 renames' },
      { name: 'take + release a certificate lock', medianMs: median(lock) },
      { name: `loadConfig, ${COUNT} certificates`, medianMs: median(load), budgetMs: 40, note: 'YAML parsing is ~90% of it; valibot validation < 0.2 ms' },
      { name: 'process start importing yaml + valibot, minus node -e 0', medianMs: median(depsSamples) - bare, note: `node -e 0: ${bare.toFixed(1)} ms (unbundled node_modules)` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
