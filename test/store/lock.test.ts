import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';

describe('locks', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'autoenroll-lock-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const lockFile = (stateDir: string) => path.join(stateDir, 'certs', 'web', 'lock');

  it('lets one holder at a time and names the holder to the next', async () => {
    const store = openStore(path.join(work, 'a'));
    const release = await store.lock('web');
    const holder = JSON.parse(readFileSync(lockFile(store.stateDir), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname() });
    await expect(store.lock('web')).rejects.toMatchObject({ code: 'STATE_LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    // Another certificate is independent; the store-wide lock is separate too.
    await (await store.lock('other'))();
    await (await store.lockAll())();
    await release();
    await release(); // idempotent
    await (await store.lock('web'))();
  });

  it('waits for a holder that releases in time', async () => {
    const store = openStore(path.join(work, 'b'));
    const release = await store.lock('web');
    setTimeout(() => void release(), 150);
    const started = Date.now();
    const second = await store.lock('web', { wait: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await second();
  });

  it('breaks a lock whose process is gone', async () => {
    const store = openStore(path.join(work, 'c'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await (await store.lock('web'))();
    writeFileSync(lockFile(store.stateDir), JSON.stringify({ pid: Number(dead.stdout), hostname: hostname(), startedAt: '2020-01-01T00:00:00Z', token: 'dead' }));
    await (await store.lock('web'))();
  });

  it('breaks a lock whose pid was reused by a later process', async () => {
    const store = openStore(path.join(work, 'd'));
    await (await store.lock('web'))();
    writeFileSync(lockFile(store.stateDir), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00Z', processStart: '1', token: 'old' }));
    if (process.platform === 'linux') await (await store.lock('web'))();
    else await expect(store.lock('web')).rejects.toMatchObject({ code: 'STATE_LOCKED' });
  });

  it('never breaks a lock held from another host', async () => {
    const store = openStore(path.join(work, 'e'));
    await (await store.lock('web'))();
    writeFileSync(lockFile(store.stateDir), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: '2020-01-01T00:00:00Z', token: 'x' }));
    await expect(store.lock('web')).rejects.toMatchObject({ code: 'STATE_LOCKED', message: expect.stringContaining('elsewhere.example') });
  });

  it('breaks an unreadable lock only once it is old (a crash while writing it)', async () => {
    const store = openStore(path.join(work, 'f'));
    await (await store.lock('web'))();
    writeFileSync(lockFile(store.stateDir), '');
    await expect(store.lock('web')).rejects.toMatchObject({ code: 'STATE_LOCKED' });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile(store.stateDir), old, old);
    await (await store.lock('web'))();
  });

  it('serializes processes that contend for the same certificate', async () => {
    const child = path.join(work, 'child.mjs');
    await build({ entryPoints: [path.join(__dirname, 'crashChild.ts')], outfile: child, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'error' });
    const stateDir = path.join(work, 'g');
    const counter = path.join(work, 'counter');
    const runs = Array.from({ length: 4 }, () =>
      new Promise<number>((resolve) => spawn(process.execPath, [child, 'increment', stateDir, counter], { stdio: 'inherit' }).on('exit', (code) => resolve(code ?? -1))),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('4');
  });
});
