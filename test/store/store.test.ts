import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutputConfig } from '../../src/config/types.js';
import { emptyState } from '../../src/store/stateModel.js';
import type { NewGeneration, PendingMeta } from '../../src/store/stateModel.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/storeTypes.js';
import { hasOpenssl } from '../helpers/tools.js';
import { keyMatches, makeMaterial } from './material.js';

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe.skipIf(!hasOpenssl)('store', () => {
  let a: NewGeneration;
  let b: NewGeneration;
  let c: NewGeneration;
  let dir: string;
  let store: Store;

  beforeAll(() => {
    a = makeMaterial('a.example');
    b = makeMaterial('b.example');
    c = makeMaterial('c.example');
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'autoenroll-store-'));
    store = openStore(path.join(dir, 'state'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens without creating anything and reads an empty certificate as nothing', async () => {
    const cert = store.certificate('web');
    expect(await cert.readState()).toBeNull();
    expect(await cert.current()).toBeNull();
    expect(await cert.currentMeta()).toBeNull();
    expect(await cert.readPending()).toBeNull();
    expect(await store.listCertificateIds()).toEqual([]);
    await expect(stat(path.join(dir, 'state'))).rejects.toThrow();
  });

  it('refuses ids that would escape the state folder', () => {
    expect(() => store.certificate('../etc')).toThrow(/invalid certificate id/);
    expect(() => store.certificate('..')).toThrow(/invalid certificate id/);
  });

  it('writes and reads the state, 0600, schema-versioned', async () => {
    const cert = store.certificate('web');
    const state = { ...emptyState('web'), status: 'VALID' as const, consecutiveFailures: 2, lastError: { code: 'X', message: 'y', at: '2025-01-01T00:00:00.000Z' } };
    await cert.writeState(state);
    expect(await cert.readState()).toEqual(state);
    expect(await mode(path.join(cert.dir, 'state.json'))).toBe(0o600);
    expect(await mode(cert.dir)).toBe(0o700);
    await writeFile(path.join(cert.dir, 'state.json'), JSON.stringify({ ...state, schemaVersion: 2 }));
    await expect(cert.readState()).rejects.toMatchObject({ code: 'STATE_SCHEMA' });
    expect(await store.listCertificateIds()).toEqual(['web']);
  });

  it('commits generations, keeps the previous ones, and points current at the newest', async () => {
    const cert = store.certificate('web');
    const first = await cert.commitGeneration(a);
    const second = await cert.commitGeneration(b);
    expect([first.number, second.number]).toEqual([1, 2]);
    expect(second.dir).toBe(path.join(cert.dir, 'generations', '0002'));
    expect((await readFile(path.join(cert.dir, 'current'), 'utf8')).trim()).toBe('0002');
    const current = await cert.current();
    expect(current?.certPem).toBe(b.certPem);
    expect(keyMatches(current!.certPem, current!.keyPem)).toBe(true);
    expect(current?.meta).toEqual(b.meta);
    expect((await cert.currentMeta())?.number).toBe(2);
    expect(await mode(path.join(second.dir, 'key.pem'))).toBe(0o600);
    expect(await mode(second.dir)).toBe(0o700);
    expect((await cert.listGenerations()).map((g) => [g.number, g.current, g.archived])).toEqual([
      [1, false, false],
      [2, true, false],
    ]);
    expect((await cert.generation(1))?.certPem).toBe(a.certPem);
  });

  it('archives every live generation but the current one, and reports the current number from recovery', async () => {
    const cert = store.certificate('web');
    await cert.commitGeneration(a);
    await cert.commitGeneration(b);
    await cert.commitGeneration(c);
    expect((await cert.recover()).currentNumber).toBe(3);
    expect(await cert.archiveAllBut(3)).toEqual([1, 2]);
    expect(await cert.archiveAllBut(3)).toEqual([]);
    expect((await cert.listGenerations()).map((g) => [g.number, g.current, g.archived])).toEqual([
      [1, false, true],
      [2, false, true],
      [3, true, false],
    ]);
    expect((await cert.generation(1))?.certPem).toBe(a.certPem);
  });

  it('archives old generations and rolls back, archiving the newer ones', async () => {
    const cert = store.certificate('web');
    await cert.commitGeneration(a);
    await cert.commitGeneration(b);
    await cert.commitGeneration(c);
    await expect(cert.archive(3)).rejects.toMatchObject({ code: 'STATE_ARCHIVE_CURRENT' });
    await cert.archive(1);
    expect((await cert.listGenerations()).map((g) => [g.number, g.archived])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
    const rolled = await cert.rollback(1);
    expect(rolled.certPem).toBe(a.certPem);
    expect((await cert.current())?.number).toBe(1);
    expect((await cert.listGenerations()).map((g) => [g.number, g.current, g.archived])).toEqual([
      [1, true, false],
      [2, false, true],
      [3, false, true],
    ]);
    // Recovery must not undo the rollback, and the next commit must not reuse a number.
    expect((await cert.recover()).pointerFixed).toBeNull();
    expect((await cert.commitGeneration(b)).number).toBe(4);
  });

  describe('pending requests', () => {
    const meta: PendingMeta = {
      requestId: '0042',
      endpointUrl: 'https://ces.example/CES',
      submittedAt: '2025-01-01T00:00:00.000Z',
      templateName: 'Machine',
      kind: 'enroll',
      auth: 'username',
    };
    const requestDer = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);

    it('records a submission before sending and the pending answer after, durably and 0600', async () => {
      const cert = store.certificate('web');
      await cert.writeSubmitting({
        requestDer,
        keyPem: a.keyPem,
        record: { requestDigest: 'ab', endpointUrl: meta.endpointUrl, startedAt: meta.submittedAt, templateName: 'Machine', kind: 'enroll', auth: 'username' },
      });
      expect((await cert.readSubmitting())?.record.requestDigest).toBe('ab');
      expect(await cert.readPending()).toBeNull();
      expect((await cert.recover()).submissionInFlight).toBe(true);

      await cert.writePending({ requestDer, keyPem: a.keyPem, meta });
      expect(await cert.readSubmitting()).toBeNull();
      const pending = await cert.readPending();
      expect(pending?.meta.requestId).toBe('0042');
      expect([...pending!.requestDer]).toEqual([...requestDer]);
      expect(pending?.keyPem).toBe(a.keyPem);
      for (const name of ['request.der', 'key.pem', 'meta.json']) expect(await mode(path.join(cert.dir, 'pending', name))).toBe(0o600);
      await expect(cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: pending as never })).rejects.toMatchObject({ code: 'STATE_PENDING_EXISTS' });

      await cert.clearPending();
      expect(await cert.readPending()).toBeNull();
      expect(await readdir(cert.dir)).not.toContain('pending');
    });

    describe('saved answers', () => {
      const digest = createHash('sha256').update(requestDer).digest('hex');
      const submission = { requestDigest: digest, endpointUrl: meta.endpointUrl, startedAt: meta.submittedAt, templateName: 'Machine', kind: 'enroll' as const, auth: 'username' as const };
      const answer = (operation: 'issue' | 'query', requestDigest = digest) => ({
        record: { requestDigest, operation, endpointUrl: meta.endpointUrl, caId: 'CA1', auth: 'username' as const, httpStatus: 200, receivedAt: '2025-01-01T00:00:01.000Z' },
        body: '<s:Envelope>…</s:Envelope>',
      });

      it('keeps an answer beside the request it answers, 0600, until the submission is recorded as pending', async () => {
        const cert = store.certificate('web');
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await cert.writeAnswer(answer('issue'));
        expect(await cert.readAnswer()).toEqual(answer('issue'));
        expect(await mode(path.join(cert.dir, 'pending', 'answer.json'))).toBe(0o600);
        expect((await cert.recover()).actions.join('\n')).toContain('its answer was saved');
        expect(await cert.readAnswer()).toEqual(answer('issue'));

        await cert.writePending({ requestDer, keyPem: a.keyPem, meta });
        expect(await cert.readAnswer()).toBeNull();
        expect(await readdir(path.join(cert.dir, 'pending'))).not.toContain('answer.json');
      });

      it('refuses an answer to a request that is not the one recorded', async () => {
        const cert = store.certificate('web');
        await expect(cert.writeAnswer(answer('issue'))).rejects.toMatchObject({ code: 'STATE_ANSWER_WITHOUT_REQUEST' });
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await expect(cert.writeAnswer(answer('issue', 'ff'.repeat(32)))).rejects.toMatchObject({ code: 'STATE_ANSWER_WITHOUT_REQUEST' });
        expect(await cert.readAnswer()).toBeNull();
      });

      it('trusts the digest of the request the caller wrote under the lock, and reads request.der back for any other', async () => {
        const cert = store.certificate('web');
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await cert.writeAnswer(answer('issue'), { requestDigestOnDisk: digest });
        expect(await cert.readAnswer()).toEqual(answer('issue'));
        await expect(cert.writeAnswer(answer('issue', 'ff'.repeat(32)), { requestDigestOnDisk: digest })).rejects.toMatchObject({
          code: 'STATE_ANSWER_WITHOUT_REQUEST',
        });
      });

      it('never hands out an answer for another request: a new submission drops it, a changed request hides it', async () => {
        const cert = store.certificate('web');
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await cert.writeAnswer(answer('issue'));
        await writeFile(path.join(cert.dir, 'pending', 'request.der'), Buffer.from('another request'));
        expect(await cert.readAnswer()).toBeNull();

        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        expect(await readdir(path.join(cert.dir, 'pending'))).not.toContain('answer.json');
      });

      it('treats an unreadable answer as none and recovery removes it', async () => {
        const cert = store.certificate('web');
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await writeFile(path.join(cert.dir, 'pending', 'answer.json'), '{"requestDigest": 3');
        expect(await cert.readAnswer()).toBeNull();
        const report = await cert.recover();
        expect(report.actions).toContain('removed a saved answer that belongs to no recorded request');
        expect(report.submissionInFlight).toBe(true);
        expect(await readdir(path.join(cert.dir, 'pending'))).not.toContain('answer.json');
        expect(await cert.readSubmitting()).not.toBeNull();
      });

      it('recovery removes the saved "pending" answer of a submission whose pending record was written', async () => {
        const cert = store.certificate('web');
        await cert.writePending({ requestDer, keyPem: a.keyPem, meta });
        // As left by a kill between meta.json and the removal of the saved answer.
        await writeFile(path.join(cert.dir, 'pending', 'answer.json'), JSON.stringify({ ...answer('issue').record, body: 'x' }));
        expect((await cert.recover()).actions).toContain('removed a saved answer that belongs to no recorded request');
        expect(await cert.readAnswer()).toBeNull();
        expect((await cert.readPending())?.meta.requestId).toBe('0042');
      });

      it('keeps a poll answer beside a pending request, and clears it with the request or alone', async () => {
        const cert = store.certificate('web');
        await cert.writePending({ requestDer, keyPem: a.keyPem, meta });
        await cert.writeAnswer(answer('query'));
        await cert.recover();
        expect((await cert.readAnswer())?.record.operation).toBe('query');
        await cert.clearAnswer();
        expect(await cert.readAnswer()).toBeNull();
        expect(await cert.readPending()).not.toBeNull();

        await cert.writeAnswer(answer('query'));
        await cert.clearPending();
        expect(await cert.readAnswer()).toBeNull();
        expect(await readdir(cert.dir)).not.toContain('pending');
      });

      it('clearing a submission clears its answer', async () => {
        const cert = store.certificate('web');
        await cert.writeSubmitting({ requestDer, keyPem: a.keyPem, record: submission });
        await cert.writeAnswer(answer('issue'));
        await cert.clearSubmitting();
        expect(await cert.readAnswer()).toBeNull();
        expect(await cert.readSubmitting()).toBeNull();
      });
    });

    it('clears a pending request that recovery finds already committed', async () => {
      const cert = store.certificate('web');
      await cert.writePending({ requestDer, keyPem: a.keyPem, meta: { ...meta, requestId: a.meta.requestId as string } });
      await cert.commitGeneration(a);
      const report = await cert.recover();
      expect(report.pendingCleared).toBe(true);
      expect(await cert.readPending()).toBeNull();
    });
  });

  describe('outputs', () => {
    let outputs: OutputConfig;
    beforeEach(() => {
      const out = path.join(dir, 'out');
      outputs = {
        cert: path.join(out, 'cert.pem'),
        key: path.join(out, 'private', 'key.pem'),
        chain: path.join(out, 'chain.pem'),
        fullchain: path.join(out, 'fullchain.pem'),
        pfx: { path: path.join(out, 'bundle.pfx'), password: { env: 'X' } },
        mode: 0o640,
      };
    });

    it('installs every output from a generation with the right modes and records it', async () => {
      const cert = store.certificate('web');
      const generation = await cert.commitGeneration(a);
      const installed = await cert.installOutputs(generation, outputs, { bytes: new Uint8Array([1, 2, 3]) });
      expect(installed.paths).toHaveLength(5);
      expect(await readFile(outputs.cert!, 'utf8')).toBe(a.certPem);
      expect(await readFile(outputs.key!, 'utf8')).toBe(a.keyPem);
      expect(await readFile(outputs.fullchain!, 'utf8')).toBe(a.certPem + a.chainPem);
      expect([...(await readFile(outputs.pfx!.path))]).toEqual([1, 2, 3]);
      expect(await mode(outputs.cert!)).toBe(0o640);
      expect(await mode(outputs.key!)).toBe(0o600);
      expect(await mode(outputs.pfx!.path)).toBe(0o600);
      expect((await cert.readOutputsMarker())?.generation).toBe(1);
      expect((await cert.recover(outputs)).outputsStale).toBe(false);

      await cert.commitGeneration(b);
      expect((await cert.recover(outputs)).outputsStale).toBe(true);
    });

    it('refuses a PFX output without PFX bytes', async () => {
      const cert = store.certificate('web');
      const generation = await cert.commitGeneration(a);
      await expect(cert.installOutputs(generation, outputs)).rejects.toMatchObject({ code: 'STATE_PFX_MISSING' });
    });

    it('recovery deletes leftovers of output files only', async () => {
      const cert = store.certificate('web');
      await mkdir(path.dirname(outputs.cert!), { recursive: true });
      await writeFile(`${outputs.cert}.tmp-abc123`, 'half');
      await writeFile(path.join(path.dirname(outputs.cert!), 'other.pem.tmp-abc123'), 'not ours');
      const report = await cert.recover(outputs);
      expect(report.removedTemps).toEqual([`${outputs.cert}.tmp-abc123`]);
    });
  });

  describe('recovery', () => {
    it('removes half-written generations and temp files', async () => {
      const cert = store.certificate('web');
      await cert.commitGeneration(a);
      await mkdir(path.join(cert.dir, 'generations', '0002.tmp-0a0b'), { recursive: true });
      await writeFile(path.join(cert.dir, 'generations', '0002.tmp-0a0b', 'key.pem'), 'half');
      await writeFile(path.join(cert.dir, 'current.tmp-ff00'), '0002\n');
      const report = await cert.recover();
      expect(report.removedTemps.map((p) => path.basename(p)).sort()).toEqual(['0002.tmp-0a0b', 'current.tmp-ff00']);
      expect(report.pointerFixed).toBeNull();
      expect(await readdir(path.join(cert.dir, 'generations'))).toEqual(['0001']);
    });

    it('finishes a commit whose pointer flip was lost', async () => {
      const cert = store.certificate('web');
      await cert.commitGeneration(a);
      await cert.commitGeneration(b);
      await writeFile(path.join(cert.dir, 'current'), '0001\n');
      const report = await cert.recover();
      expect(report.pointerFixed).toEqual({ from: 1, to: 2 });
      expect((await cert.current())?.certPem).toBe(b.certPem);
    });

    it('falls back to the newest complete generation when the pointer dangles or is gone', async () => {
      const cert = store.certificate('web');
      await cert.commitGeneration(a);
      await writeFile(path.join(cert.dir, 'current'), '0009\n');
      expect((await cert.current())?.certPem).toBe(a.certPem);
      expect((await cert.recover()).pointerFixed).toEqual({ from: 9, to: 1 });
      await rm(path.join(cert.dir, 'current'));
      expect((await cert.recover()).pointerFixed).toEqual({ from: null, to: 1 });
      expect((await readFile(path.join(cert.dir, 'current'), 'utf8')).trim()).toBe('0001');
    });
  });
});
