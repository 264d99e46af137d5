// The pending request of one certificate: certs/<id>/pending/{request.der,key.pem,meta.json}
// plus submitting.json while a request is in flight, and answer.json once its answer arrived.
//
// Order matters. Before sending, request + key + submitting.json are made durable, so a crash
// after the server received the request is visible at the next start (no silent second
// submission). The answer, as received, is made durable in answer.json before anything is done
// with it, so a crash after it arrived is finished from that copy rather than by sending again.
// When the server answers "pending", meta.json (with the RequestID) is written last: its
// presence means the record is whole. Clearing renames the folder away in one step.
//
// answer.json is one file (record + body), so it appears whole or not at all; it names the
// SHA-256 of the request it answers and is only ever returned beside that request.
import { createHash } from 'node:crypto';
import { readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { InternalError } from '../errors.js';
import { ensureDir, readJsonFile, readOptional, syncDir, tempName, writeFileAtomic, writeJsonAtomic } from './atomicFile.js';
import { crashPoint } from './crashPoint.js';
import type { AnswerRecord, PendingMeta, PendingRecord, SavedAnswer, SubmissionRecord, SubmittingRecord } from './stateModel.js';

const files = (certDir: string) => {
  const dir = path.join(certDir, 'pending');
  return {
    dir,
    request: path.join(dir, 'request.der'),
    key: path.join(dir, 'key.pem'),
    meta: path.join(dir, 'meta.json'),
    submitting: path.join(dir, 'submitting.json'),
    answer: path.join(dir, 'answer.json'),
  };
};

async function writeRequestAndKey(certDir: string, requestDer: Uint8Array, keyPem: string, label: string): Promise<void> {
  const f = files(certDir);
  await ensureDir(f.dir);
  // Both renames are made durable by one folder fsync, before the record naming them is written.
  await writeFileAtomic(f.request, requestDer, { mode: 0o600, crashLabel: `${label}:request`, syncFolder: false });
  const existingKey = await readOptional(f.key);
  if (existingKey === null || existingKey.toString('utf8') !== keyPem) {
    await writeFileAtomic(f.key, keyPem, { mode: 0o600, crashLabel: `${label}:key`, syncFolder: false });
  }
  await syncDir(f.dir);
}

export async function writeSubmitting(certDir: string, input: { requestDer: Uint8Array; keyPem: string; record: SubmissionRecord }): Promise<void> {
  const f = files(certDir);
  if ((await readOptional(f.meta)) !== null) {
    throw new InternalError(`a pending request is already recorded in ${f.dir}; retrieve it instead of submitting another`, 'STATE_PENDING_EXISTS');
  }
  // An answer left from an earlier request must never be taken for this one's.
  if (await removeIfPresent(f.answer)) await syncDir(f.dir);
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
  // The "pending" answer is now recorded as meta.json: its saved copy and the submission go.
  await rm(f.submitting, { force: true });
  await rm(f.answer, { force: true });
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
    await rm(f.answer, { force: true });
    await syncDir(f.dir);
    return;
  }
  await clearPending(certDir);
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function removeIfPresent(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Saves a CES answer beside the request it answers (one atomic file), before it is acted on. */
export async function writeAnswer(certDir: string, answer: SavedAnswer, options: { requestDigestOnDisk?: string } = {}): Promise<void> {
  const f = files(certDir);
  const known = options.requestDigestOnDisk !== undefined && options.requestDigestOnDisk === answer.record.requestDigest;
  const requestDer = known ? null : await readOptional(f.request);
  if (!known && (requestDer === null || sha256Hex(requestDer) !== answer.record.requestDigest)) {
    throw new InternalError(`an answer from ${answer.record.endpointUrl} does not belong to the request recorded in ${f.dir}`, 'STATE_ANSWER_WITHOUT_REQUEST');
  }
  await writeJsonAtomic(f.answer, { ...answer.record, body: answer.body }, { mode: 0o600, crashLabel: 'answer' });
}

function asSavedAnswer(value: unknown): SavedAnswer | null {
  if (typeof value !== 'object' || value === null) return null;
  const { body, ...record } = value as AnswerRecord & { body?: unknown };
  const wellFormed =
    typeof body === 'string' &&
    typeof record.requestDigest === 'string' &&
    (record.operation === 'issue' || record.operation === 'query') &&
    typeof record.endpointUrl === 'string' &&
    (record.auth === 'username' || record.auth === 'certificate' || record.auth === 'kerberos') &&
    typeof record.httpStatus === 'number' &&
    typeof record.receivedAt === 'string';
  return wellFormed ? { record, body } : null;
}

/**
 * The saved answer when it answers the request in pending/request.der; null otherwise. An
 * unreadable answer counts as none: the request record is still there, so the caller falls back
 * to what it did before answers were saved (resend or poll).
 */
export async function readAnswer(certDir: string): Promise<SavedAnswer | null> {
  const f = files(certDir);
  const saved = asSavedAnswer(await readJsonFile<unknown>(f.answer).catch(() => null));
  if (saved === null) return null;
  const requestDer = await readOptional(f.request);
  return requestDer !== null && sha256Hex(requestDer) === saved.record.requestDigest ? saved : null;
}

export async function clearAnswer(certDir: string): Promise<void> {
  const f = files(certDir);
  if (await removeIfPresent(f.answer)) await syncDir(f.dir);
}

/**
 * Removes an answer.json that no longer belongs here: one to another request, one that is
 * unreadable, or the saved "pending" answer to a submission whose meta.json was already written.
 */
export async function removeStaleAnswer(certDir: string): Promise<boolean> {
  const f = files(certDir);
  if ((await readOptional(f.answer)) === null) return false;
  const saved = await readAnswer(certDir);
  const recorded = (await readOptional(f.meta)) !== null;
  if (saved !== null && (saved.record.operation === 'query') === recorded) return false;
  await clearAnswer(certDir);
  return true;
}

export async function hasSubmissionInFlight(certDir: string): Promise<boolean> {
  const f = files(certDir);
  return (await readOptional(f.meta)) === null && (await readOptional(f.submitting)) !== null;
}
