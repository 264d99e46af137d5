// The file-system Store: stateDir/certs/<id>/ per certificate (see ../shared/docs/architecture.md,
// "State on disk"). Opening does no I/O; folders are created (0700) on the first write, so
// read-only commands such as `status` never create anything.
//
// Writers must hold the certificate's lock (store.lock(id)) and call recover() once after taking it.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { OutputConfig } from '../config/types.js';
import { InternalError } from '../errors.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from './atomicFile.js';
import {
  archiveAllBut,
  archiveGeneration,
  commitGeneration,
  currentNumber,
  newestComplete,
  layout,
  listGenerations,
  readGenerationAt,
  readMeta,
  readPointer,
  rollbackTo,
} from './generations.js';
import { acquireLock } from './lock.js';
import { installOutputs, readOutputsMarker } from './outputs.js';
import { clearAnswer, clearPending, clearSubmitting, readAnswer, readPending, readSubmitting, writeAnswer, writePending, writeSubmitting } from './pending.js';
import { recoverCertificate } from './recover.js';
import { STATE_SCHEMA_VERSION } from './stateModel.js';
import type { CertificateState, Generation } from './stateModel.js';
import type { CertificateStore, LockOptions, Release, Store } from './storeTypes.js';
import { redact } from '../secrets/redactor.js';

const ID = /^[A-Za-z0-9._-]{1,64}$/;

export function openStore(stateDir: string): Store {
  const root = path.resolve(stateDir);
  const certsDir = path.join(root, 'certs');
  const certDirOf = (id: string): string => {
    if (!ID.test(id) || id === '.' || id === '..') throw new InternalError(`invalid certificate id "${id}"`, 'STATE_BAD_ID');
    return path.join(certsDir, id);
  };

  return {
    stateDir: root,
    certificate: (id) => certificateStore(id, certDirOf(id)),
    async listCertificateIds() {
      try {
        return (await readdir(certsDir, { withFileTypes: true }))
          .filter((entry) => entry.isDirectory() && ID.test(entry.name))
          .map((entry) => entry.name)
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async lock(id: string, options?: LockOptions): Promise<Release> {
      const dir = certDirOf(id);
      await ensureDir(dir);
      return acquireLock(path.join(dir, 'lock'), `certificate "${id}"`, options);
    },
    async lockAll(options?: LockOptions): Promise<Release> {
      await ensureDir(root);
      return acquireLock(path.join(root, 'lock'), `state folder ${root}`, options);
    },
  };
}

/**
 * Runs a write into the certificate's folder, creating the folder first only when the write finds
 * it missing: under the lock (whose file lives in it) the folder exists, and a mkdir + stat before
 * every write cost two thread-pool calls each time. A write that fails on a missing folder has
 * created nothing (its temporary file could not be opened), so it is simply run again.
 */
async function inFolder<T>(dir: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await ensureDir(dir);
    return write();
  }
}

function certificateStore(id: string, dir: string): CertificateStore {
  const statePath = path.join(dir, 'state.json');
  return {
    id,
    dir,

    async readState() {
      let state: CertificateState | null;
      try {
        state = await readJsonFile<CertificateState>(statePath);
      } catch (error) {
        throw new InternalError(`cannot read ${statePath}: ${(error as Error).message}`, 'STATE_CORRUPT');
      }
      if (state === null) return null;
      if (state.schemaVersion !== STATE_SCHEMA_VERSION) {
        throw new InternalError(
          `${statePath} has schema version ${String(state.schemaVersion)}; this version of autoenroll reads version ${STATE_SCHEMA_VERSION} (was it written by a newer release?)`,
          'STATE_SCHEMA',
        );
      }
      return state;
    },

    async writeState(state) {
      if (state.id !== id) throw new InternalError(`state for "${state.id}" written to "${id}"`, 'STATE_BAD_ID');
      // Server text quoted in lastError (or anywhere) never carries a secret value to disk.
      const redacted = JSON.parse(redact(JSON.stringify(state))) as typeof state;
      await inFolder(dir, () => writeJsonAtomic(statePath, redacted, { mode: 0o600, crashLabel: 'state' }));
    },

    async current(): Promise<Generation | null> {
      const number = await currentNumber(dir);
      return number === null ? null : readGenerationAt(layout(dir).live(number), number);
    },

    async currentMeta() {
      // Fast path for `status`: a numbered folder is only ever renamed into place complete.
      const pointer = await readPointer(dir);
      if (pointer !== null) {
        const meta = await readMeta(layout(dir).live(pointer));
        if (meta !== null) return { number: pointer, meta };
      }
      // No pointer: the newest complete generation, as currentNumber would find it without reading the pointer again.
      const number = pointer === null ? await newestComplete(dir) : await currentNumber(dir);
      if (number === null) return null;
      const meta = await readMeta(layout(dir).live(number));
      return meta === null ? null : { number, meta };
    },

    async generation(number) {
      const paths = layout(dir);
      return (await readGenerationAt(paths.live(number), number)) ?? readGenerationAt(paths.archived(number), number);
    },

    // commitGeneration and the pending/ writes create their folders (mkdir -p), this one with them.
    commitGeneration: (input) => commitGeneration(dir, input),
    listGenerations: () => listGenerations(dir),
    archive: (number) => archiveGeneration(dir, number),
    archiveAllBut: (currentNumber) => archiveAllBut(dir, currentNumber),
    rollback: (number) => rollbackTo(dir, number),

    writeSubmitting: (input) => writeSubmitting(dir, input),
    readSubmitting: () => readSubmitting(dir),
    clearSubmitting: () => clearSubmitting(dir),
    writePending: (input) => writePending(dir, input),
    readPending: () => readPending(dir),
    clearPending: () => clearPending(dir),
    writeAnswer: (answer, options) => writeAnswer(dir, answer, options),
    readAnswer: () => readAnswer(dir),
    clearAnswer: () => clearAnswer(dir),

    installOutputs: (generation, outputs: OutputConfig, pfx?: { bytes: Uint8Array }) => installOutputs(dir, generation, outputs, pfx),
    readOutputsMarker: () => readOutputsMarker(dir),
    recover: (outputs?: OutputConfig) => recoverCertificate(dir, id, outputs),
  };
}
