// Kills a real process (SIGKILL) at every durable step of the store and checks that what is left
// is always a usable certificate with its matching key (the old one or the new one), that
// recovery cleans up, and that a rerun finishes the job without a second generation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputConfig } from '../../src/config/types.js';
import { STORE_CRASH_POINTS } from '../../src/store/crashPoint.js';
import type { NewGeneration } from '../../src/store/stateModel.js';
import { openStore } from '../../src/store/store.js';
import { hasOpenssl } from '../helpers/tools.js';
import { keyMatches, makeMaterial } from './material.js';

const PENDING_CRASH_POINTS = [
  'submitting:request:temp-written',
  'submitting:request:renamed',
  'submitting:key:temp-written',
  'submitting:key:renamed',
  'submitting:record:temp-written',
  'submitting:record:renamed',
  'answer:temp-written',
  'answer:renamed',
  'pending:request:temp-written',
  'pending:request:renamed',
  'pending:meta:temp-written',
  'pending:meta:renamed',
  'state:temp-written#1',
  'state:renamed#1',
  'generation:renamed',
  'pointer:renamed',
  'generation:committed',
  'pending:cleared',
  'state:temp-written#2',
] as const;

/** Every path under `dir` whose name marks a temporary file or folder. */
function temps(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (/\.tmp-[0-9a-f]+$/.test(entry.name)) found.push(full);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return found;
}

describe.skipIf(!hasOpenssl)('crash safety (SIGKILL at every store step)', () => {
  let work: string;
  let child: string;
  let oldMaterial: NewGeneration;
  let newMaterial: NewGeneration;
  let newMaterialFile: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-crash-'));
    child = path.join(work, 'crashChild.mjs');
    await build({
      entryPoints: [path.join(__dirname, 'crashChild.ts')],
      outfile: child,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    oldMaterial = makeMaterial('old.example');
    newMaterial = makeMaterial('new.example');
    newMaterialFile = path.join(work, 'new.json');
    writeFileSync(newMaterialFile, JSON.stringify(newMaterial));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const runChild = (args: string[], crashAt?: string) =>
    spawnSync(process.execPath, [child, ...args], {
      encoding: 'utf8',
      env: { ...process.env, AUTOENROLL_CRASH_AT: crashAt ?? '' },
      timeout: 20_000,
    });

  it('kills at the n-th hit with the name#n form', () => {
    const result = runChild(['count'], 'counted#2');
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('passed 1\n');
    expect(runChild(['count'], 'counted#4').stdout).toBe('passed 1\npassed 2\npassed 3\n');
  });

  it.each(STORE_CRASH_POINTS.map((point) => [point]))('renewal commit + install survives a kill at %s', async (point) => {
    const dir = mkdtempSync(path.join(work, 'case-'));
    const stateDir = path.join(dir, 'state');
    const out = path.join(dir, 'out');
    const outputs: OutputConfig = {
      cert: path.join(out, 'cert.pem'),
      key: path.join(out, 'key.pem'),
      chain: path.join(out, 'chain.pem'),
      fullchain: path.join(out, 'fullchain.pem'),
      pfx: { path: path.join(out, 'cert.pfx'), password: { env: 'UNUSED' } },
      mode: 0o644,
    };
    // The certificate in service before the renewal.
    const cert = openStore(stateDir).certificate('web');
    const old = await cert.commitGeneration(oldMaterial);
    await cert.installOutputs(old, outputs, { bytes: Buffer.from('old pfx') });

    const crashed = runChild(['commit', stateDir, newMaterialFile, JSON.stringify(outputs)], point);
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(crashed.stderr).toContain(`crash point ${point}`);

    // Whatever the moment, the store holds a whole certificate with its key: the old one or the new one.
    const current = await cert.current();
    expect(current).not.toBeNull();
    expect([oldMaterial.certPem, newMaterial.certPem]).toContain(current!.certPem);
    expect(keyMatches(current!.certPem, current!.keyPem)).toBe(true);
    for (const generation of await cert.listGenerations()) {
      const full = await cert.generation(generation.number);
      expect(keyMatches(full!.certPem, full!.keyPem)).toBe(true);
    }
    // Each output file is whole (old or new), never torn.
    expect([oldMaterial.certPem, newMaterial.certPem]).toContain(readFileSync(outputs.cert!, 'utf8'));
    expect([oldMaterial.keyPem, newMaterial.keyPem]).toContain(readFileSync(outputs.key!, 'utf8'));

    // The rerun (which recovers first, under the lock the dead process left) completes the job.
    const rerun = runChild(['commit', stateDir, newMaterialFile, JSON.stringify(outputs)]);
    expect(rerun.status, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as { removedTemps: string[] };
    expect(temps(dir)).toEqual([]);
    if (point.endsWith('temp-written') || point.startsWith('generation:') && point !== 'generation:renamed' && point !== 'generation:committed') {
      expect(report.removedTemps.length).toBeGreaterThan(0);
    }
    const final = await cert.current();
    expect(final?.certPem).toBe(newMaterial.certPem);
    expect(keyMatches(final!.certPem, final!.keyPem)).toBe(true);
    const generations = await cert.listGenerations();
    expect(generations.filter((g) => g.meta.thumbprintSha1 === newMaterial.meta.thumbprintSha1)).toHaveLength(1);
    expect(generations.find((g) => g.meta.thumbprintSha1 === oldMaterial.meta.thumbprintSha1)?.current).toBe(false);
    expect(readFileSync(outputs.cert!, 'utf8')).toBe(newMaterial.certPem);
    expect(readFileSync(outputs.key!, 'utf8')).toBe(newMaterial.keyPem);
    expect(readFileSync(outputs.fullchain!, 'utf8')).toBe(newMaterial.certPem + newMaterial.chainPem);
    expect(readFileSync(outputs.pfx!.path, 'utf8')).toBe(`pfx:${newMaterial.meta.thumbprintSha1}`);
    expect(statSync(outputs.key!).mode & 0o777).toBe(0o600);
    expect((await cert.readOutputsMarker())?.generation).toBe(final?.number);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(PENDING_CRASH_POINTS.map((point) => [point]))('submission → answer → pending → issue survives a kill at %s', async (point) => {
    const dir = mkdtempSync(path.join(work, 'pending-'));
    const stateDir = path.join(dir, 'state');
    const crashed = runChild(['pending', stateDir, newMaterialFile, '{}'], point);
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(crashed.stderr).toContain(`crash point ${point.split('#')[0]}`);

    const cert = openStore(stateDir).certificate('web');
    // A recorded pending request is always whole, and its key is the request's key.
    const pending = await cert.readPending();
    if (pending) expect(pending.keyPem).toBe(newMaterial.keyPem);
    const submitting = await cert.readSubmitting();
    if (submitting) expect(submitting.keyPem).toBe(newMaterial.keyPem);

    const rerun = runChild(['pending', stateDir, newMaterialFile, '{}']);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(temps(dir)).toEqual([]);
    const generations = await cert.listGenerations();
    expect(generations).toHaveLength(1);
    const final = await cert.current();
    expect(final?.certPem).toBe(newMaterial.certPem);
    expect(keyMatches(final!.certPem, final!.keyPem)).toBe(true);
    expect(await cert.readPending()).toBeNull();
    expect(await cert.readSubmitting()).toBeNull();
    expect((await cert.readState())?.status).toBe('VALID');
    // Sent once, except when killed after sending and before the answer was saved.
    expect(readFileSync(path.join(dir, 'sends'), 'utf8').trim().split('\n'), 'sends').toHaveLength(point === 'answer:temp-written' ? 2 : 1);
    expect(await cert.readAnswer()).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
