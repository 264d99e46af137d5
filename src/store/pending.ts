// The pending request of one certificate: certs/<id>/pending/{request.der,key.pem,meta.json}
// plus submitting.json while a request is in flight.
//
// Order matters. Before sending, request + key + submitting.json are made durable, so a crash
// after the server received the request is visible at the next start (no silent second
// submission). When the server answers "pending", meta.json (with the RequestID) is written last:
// its presence means the record is whole. Clearing renames the folder away in one step.
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { InternalError } from '../errors.js';
import { ensureDir, readJsonFile, readOptional, syncDir, tempName, writeFileAtomic, writeJsonAtomic } from './atomicFile.js';
import { crashPoint } from './crashPoint.js';
import type { PendingMeta, PendingRecord, SubmissionRecord, SubmittingRecord } from './stateModel.js';

const files = (certDir: string) => {
  const dir = path.join(certDir, 'pending');
  return {
    dir,
    request: path.join(dir, 'request.der'),
    key: path.join(dir, 'key.pem'),
    meta: path.join(dir, 'meta.json'),
    submitting: path.join(dir, 'submitting.json'),
  };
};

async function writeRequestAndKey(certDir: string, requestDer: Uint8Array, keyPem: string, label: string): Promise<void> {
  const f = files(certDir);
  await ensureDir(f.dir);
  await writeFileAtomic(f.request, requestDer, { mode: 0o600, crashLabel: `${label}:request` });
  const existingKey = await readOptional(f.key);
  if (existingKey === null || existingKey.toString('utf8') !== keyPem) {
    await writeFileAtomic(f.key, keyPem, { mode: 0o600, crashLabel: `${label}:key` });
  }
}

export async function writeSubmitting(certDir: string, input: { requestDer: Uint8Array; keyPem: string; record: SubmissionRecord }): Promise<void> {
  const f = files(certDir);
  if ((await readOptional(f.meta)) !== null) {
    throw new InternalError(`a pending request is already recorded in ${f.dir}; retrieve it instead of submitting another`, 'STATE_PENDING_EXISTS');
  }
  await writeRequestAndKey(certDir, input.requestDer, input.keyPem, 'submitting');
  await writeJsonAtomic(f.submitting, input.record, { mode: 0o600, crashLabel: 'submitting:record' });
}

export async function readSubmitting(certDir: string): Promise<SubmittingRecord | null> {
  const f = files(certDir);
  if ((await readOptional(f.meta)) !== null) return null;
  const record = await readJsonFile<SubmissionRecord>(f.submitting);
  if (record === null) return null;
  const [requestDer, key] = await Promise.all([readOptional(f.request), readOptional(f.key)]);
  if (requestDer === null || key === null) return null;
  return { requestDer: new Uint8Array(requestDer), keyPem: key.toString('utf8'), record };
}

export async function writePending(certDir: string, input: { requestDer: Uint8Array; keyPem: string; meta: PendingMeta }): Promise<void> {
  const f = files(certDir);
  await writeRequestAndKey(certDir, input.requestDer, input.keyPem, 'pending');
  await writeJsonAtomic(f.meta, input.meta, { mode: 0o600, crashLabel: 'pending:meta' });
  await rm(f.submitting, { force: true });
  await syncDir(f.dir);
}

export async function readPending(certDir: string): Promise<PendingRecord | null> {
  const f = files(certDir);
  const meta = await readJsonFile<PendingMeta>(f.meta);
  if (meta === null) return null;
  try {
    const [requestDer, keyPem] = await Promise.all([readFile(f.request), readFile(f.key, 'utf8')]);
    return { requestDer: new Uint8Array(requestDer), keyPem, meta };
  } catch (error) {
    throw new InternalError(`the pending request in ${f.dir} is incomplete (${(error as Error).message}); RequestID ${meta.requestId}`, 'STATE_CORRUPT');
  }
}

/** Removes the whole pending folder: one rename (atomic), then the deletion of the renamed folder. */
export async function clearPending(certDir: string): Promise<void> {
  const f = files(certDir);
  const doomed = tempName(f.dir);
  try {
    await rename(f.dir, doomed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await syncDir(certDir);
  crashPoint('pending:cleared');
  await rm(doomed, { recursive: true, force: true });
}

/** Forgets an in-flight submission; keeps a pending record if one exists. */
export async function clearSubmitting(certDir: string): Promise<void> {
  const f = files(certDir);
  if ((await readOptional(f.meta)) !== null) {
    await rm(f.submitting, { force: true });
    await syncDir(f.dir);
    return;
  }
  await clearPending(certDir);
}

export async function hasSubmissionInFlight(certDir: string): Promise<boolean> {
  const f = files(certDir);
  return (await readOptional(f.meta)) === null && (await readOptional(f.submitting)) !== null;
}
