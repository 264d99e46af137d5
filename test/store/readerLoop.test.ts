// A consumer polling the output files during 200 renewals with new keys: how often does it read a
// certificate and a key that do not belong together? The combined output (key + certificate +
// chain in one file, one rename) must never show a mismatch; the separate cert/key files (written
// first, then renamed back to back) are reported, with their figure, for BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutputConfig } from '../../src/config/types.js';
import { openStore } from '../../src/store/store.js';
import type { NewGeneration } from '../../src/store/stateModel.js';
import { hasOpenssl } from '../helpers/tools.js';
import { makeMaterial } from './material.js';

const RENEWALS = 200;

/** Reads the files in a loop until `stop` exists; prints {reads, mismatches} for the pair and for the combined file. */
const READER = `
import { readFileSync, existsSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
const [cert, key, combined, stop] = process.argv.slice(1);
const match = (certPem, keyPem) => { try { return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)); } catch { return false; } };
const result = { pair: { reads: 0, mismatches: 0 }, combined: { reads: 0, mismatches: 0 } };
const block = (text, label) => { const m = new RegExp('-----BEGIN ' + label + '-----[\\\\s\\\\S]*?-----END ' + label + '-----').exec(text); return m ? m[0] : ''; };
while (!existsSync(stop)) {
  try {
    const c = readFileSync(cert, 'utf8'); const k = readFileSync(key, 'utf8');
    result.pair.reads++; if (!match(c, k)) result.pair.mismatches++;
  } catch {}
  try {
    const text = readFileSync(combined, 'utf8');
    result.combined.reads++; if (!match(block(text, 'CERTIFICATE'), block(text, 'PRIVATE KEY'))) result.combined.mismatches++;
  } catch {}
}
process.stdout.write(JSON.stringify(result));
`;

describe.skipIf(!hasOpenssl)('reader loop during renewals', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoenroll-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`sees no mismatched pair in the combined output over ${RENEWALS} renewals with new keys`, async () => {
    const materials: NewGeneration[] = Array.from({ length: RENEWALS + 1 }, (_, i) => makeMaterial(`reader-${i}.lab.test`));
    const out = path.join(dir, 'out');
    const outputs: OutputConfig = { cert: path.join(out, 'web.pem'), key: path.join(out, 'web.key'), combined: path.join(out, 'web-combined.pem'), mode: 0o644 };
    const store = openStore(path.join(dir, 'state')).certificate('web');
    await store.installOutputs(await store.commitGeneration(materials[0]!), outputs);

    const stop = path.join(dir, 'stop');
    const reader = spawn(process.execPath, ['--input-type=module', '-e', READER, outputs.cert!, outputs.key!, outputs.combined!, stop], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    reader.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<void>((resolve) => reader.once('exit', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    for (let i = 1; i <= RENEWALS; i++) {
      const generation = await store.commitGeneration(materials[i]!);
      await store.installOutputs(generation, outputs);
      await store.archiveAllBut(generation.number);
    }
    const elapsed = performance.now() - started;
    writeFileSync(stop, '');
    await exited;
    const result = JSON.parse(printed) as { pair: { reads: number; mismatches: number }; combined: { reads: number; mismatches: number } };
    console.log(
      `reader loop, ${RENEWALS} renewals with new keys in ${Math.round(elapsed)} ms: ` +
        `cert+key files ${result.pair.mismatches} mismatches in ${result.pair.reads} reads; combined file ${result.combined.mismatches} mismatches in ${result.combined.reads} reads`,
    );
    expect(existsSync(stop)).toBe(true);
    expect(result.combined.reads).toBeGreaterThan(RENEWALS / 2);
    expect(result.pair.reads).toBeGreaterThan(RENEWALS / 2);
    expect(result.combined.mismatches).toBe(0);
  }, 180_000);
});
