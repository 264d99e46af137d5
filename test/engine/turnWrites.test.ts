// The record of a turn's writes matches what the store then holds, and a failed store call makes
// it unknown (the plan after the pass then reads the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { STATE_SCHEMA_VERSION } from '../../src/store/stateModel.js';
import type { PendingMeta } from '../../src/store/stateModel.js';
import { recordingStore } from '../../src/engine/turnWrites.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const meta: PendingMeta = {
  requestId: '42',
  endpointUrl: 'https://ces.example/ces',
  submittedAt: '2026-01-01T00:00:00.000Z',
  templateName: 'Web',
  kind: 'enroll',
  auth: 'username',
};

describe('recordingStore', () => {
  it('records state and pending/ as written and cleared, the same as the store reads them back', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'autoenroll-turnwrites-'));
    dirs.push(stateDir);
    const inner = openStore(stateDir).certificate('web');
    const { store, writes } = recordingStore(inner);
    expect(writes).toEqual({ unknown: false });

    const state = { schemaVersion: STATE_SCHEMA_VERSION, id: 'web', lastAttemptAt: '2026-01-01T00:00:00.000Z', consecutiveFailures: 0 };
    await store.writeState(state as Parameters<typeof store.writeState>[0]);
    expect(writes.state).toEqual(await inner.readState());

    await store.writePending({ requestDer: new Uint8Array([0x30, 0x00]), keyPem: 'KEY', meta });
    expect(writes.pending?.meta).toEqual((await inner.readPending())?.meta);
    await store.clearPending();
    expect(writes.pending).toBeNull();
    expect(await inner.readPending()).toBeNull();
    expect(store.id).toBe('web');
    expect(writes.unknown).toBe(false);
  });

  it('marks the record unknown when a store call fails', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'autoenroll-turnwrites-'));
    dirs.push(stateDir);
    const { store, writes } = recordingStore(openStore(stateDir).certificate('web'));
    await expect(store.archive(7)).rejects.toThrow();
    expect(writes.unknown).toBe(true);
  });
});
