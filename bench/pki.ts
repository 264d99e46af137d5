// PKI benchmarks: native key generation beside `openssl genpkey` in the same run, PKCS#10
// build + sign beyond key generation, the renewal CMS, PKCS#12, and certificate description.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type KeySpec, formatKeySpec } from '../src/pki/keys.js';
import { buildCsr } from '../src/pki/csr.js';
import { buildRenewalRequest } from '../src/pki/renewalRequest.js';
import { buildPfx } from '../src/pki/pkcs12.js';
import { describeCertificate } from '../src/pki/certInfo.js';
import { median, sample, type BenchResult } from './types.js';

const cases: { spec: KeySpec; runs: number; opensslArgs: string[] }[] = [
  { spec: { algorithm: 'RSA', bits: 2048 }, runs: 21, opensslArgs: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] },
  { spec: { algorithm: 'RSA', bits: 3072 }, runs: 9, opensslArgs: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'] },
  { spec: { algorithm: 'RSA', bits: 4096 }, runs: 7, opensslArgs: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'] },
  { spec: { algorithm: 'EC', curve: 'P-256' }, runs: 31, opensslArgs: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
  { spec: { algorithm: 'EC', curve: 'P-384' }, runs: 31, opensslArgs: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'] },
  { spec: { algorithm: 'EC', curve: 'P-521' }, runs: 31, opensslArgs: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'] },
];

function opensslRun(args: string[]): number {
  const start = performance.now();
  const result = spawnSync('openssl', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed`);
  return performance.now() - start;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // The fixed cost of starting openssl at all, to compare key generation alone.
  const spawnMs = median(Array.from({ length: 15 }, () => opensslRun(['version'])));
  results.push({ name: 'openssl process start (openssl version)', medianMs: spawnMs });
  for (const { spec, runs, opensslArgs } of cases) {
    // Interleaved so both see the same machine load.
    const node: number[] = [];
    const openssl: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await generateKeyPair(spec);
      node.push(performance.now() - start);
      openssl.push(opensslRun(['genpkey', ...opensslArgs, '-out', '/dev/null']));
    }
    const nodeMs = median(node);
    const opensslMs = median(openssl);
    const opensslKeygenMs = opensslMs - spawnMs;
    // RSA: prime search dominates both sides (same OpenSSL 3.0 code), so the ratio is meaningful
    // though noisy. EC: generation takes less than the jitter of starting a process.
    const comparison =
      spec.algorithm === 'RSA'
        ? `ratio node/openssl ${(nodeMs / opensslKeygenMs).toFixed(2)}x`
        : 'keygen is below openssl process-start jitter: no ratio';
    results.push({
      name: `keygen ${formatKeySpec(spec)} node:crypto`,
      medianMs: nodeMs,
      note: `openssl genpkey ${opensslMs.toFixed(1)} ms (${opensslKeygenMs.toFixed(1)} ms beyond process start); ${comparison}; n=${runs}`,
    });
  }

  const rsa = await generateKeyPair({ algorithm: 'RSA', bits: 2048 });
  const ec = await generateKeyPair({ algorithm: 'EC', curve: 'P-256' });
  const options = {
    subject: 'CN=web01.example.com,OU=Servers,O=Example,DC=example,DC=com',
    san: { dns: ['web01.example.com'], ip: ['192.0.2.10'], upn: ['web01$@EXAMPLE.COM'] },
    template: { oid: '1.3.6.1.4.1.311.21.8.1.2.3', majorVersion: 100, minorVersion: 4 },
    templateName: 'WebServer',
    clientInfo: { machine: 'web01', user: 'root', process: 'autoenroll' },
    osVersion: '6.2.9200.2',
    cspName: 'Microsoft Software Key Storage Provider',
  };
  let csrDer: Uint8Array = new Uint8Array();
  for (const [label, pair] of [['RSA-2048', rsa], ['P-256', ec]] as const) {
    const samples = await sample(async () => {
      csrDer = await buildCsr({ ...options, privateKey: pair.privateKey, publicKey: pair.publicKey });
    }, 60, 5);
    results.push({ name: `PKCS#10 build + sign, ${label} (keygen excluded)`, medianMs: median(samples), budgetMs: 5, note: `${csrDer.length} bytes` });
  }

  // A self-signed stand-in for the old certificate (built with openssl from the same RSA key).
  const keyPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const keyFile = join(mkdtempSync(join(tmpdir(), 'bench-pki-')), 'old.key');
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  const selfSigned = spawnSync('openssl', ['req', '-x509', '-key', keyFile, '-subj', '/CN=old', '-days', '1', '-outform', 'DER']);
  const oldCertificateDer = new Uint8Array(selfSigned.stdout);
  const renewal = await sample(() => buildRenewalRequest({ oldCertificateDer, oldPrivateKey: rsa.privateKey, newPrivateKey: ec.privateKey, newPublicKey: ec.publicKey, templateName: 'WebServer' }), 40, 5);
  results.push({ name: 'renewal CMS build (new P-256 key, old RSA-2048 signs)', medianMs: median(renewal) });
  const pfx = await sample(() => buildPfx({ privateKey: ec.privateKey, certificateDer: oldCertificateDer, chainDer: [], password: 'bench' }), 5, 1);
  results.push({ name: 'PKCS#12 build (PBKDF2 100k x2, MAC 2048)', medianMs: median(pfx) });
  const describe = await sample(() => describeCertificate(oldCertificateDer), 200, 20);
  results.push({ name: 'describeCertificate', medianMs: median(describe) });
  return results;
}
