// How an attempt's outcome changes a certificate's state.json (the planner's memory). Pure.
import { AutoenrollError, EnrollmentDenied, errorToJson } from '../errors.js';
import { emptyState } from '../store/stateModel.js';
import type { CertificateState, PendingMeta, PossibleOrphan, StoredError } from '../store/stateModel.js';
import { scheduleRetry } from './backoff.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function baseState(id: string, state: CertificateState | null): CertificateState {
  return state ? { ...state } : emptyState(id);
}

export function storedError(error: unknown, nowMs: number): StoredError {
  const json = errorToJson(error);
  const stored: StoredError = { code: json.code, message: json.message, at: iso(nowMs) };
  if (error instanceof EnrollmentDenied) {
    if (error.hresult !== undefined) stored.hresult = error.hresult;
    if (error.requestId !== undefined) stored.requestId = error.requestId;
  }
  return stored;
}

export function afterIssued(id: string, state: CertificateState | null, nowMs: number, endpoint: string | null, policyId?: string): CertificateState {
  const next = baseState(id, state);
  next.status = 'VALID';
  next.lastAttemptAt = iso(nowMs);
  next.lastSuccessAt = iso(nowMs);
  next.consecutiveFailures = 0;
  delete next.nextAttemptAt;
  next.lastError = null;
  next.pending = null;
  if (endpoint) next.lastEndpoint = endpoint;
  if (policyId) next.policyId = policyId;
  return next;
}

export function afterPending(id: string, state: CertificateState | null, nowMs: number, meta: PendingMeta): CertificateState {
  const next = baseState(id, state);
  next.status = 'PENDING';
  next.lastAttemptAt = iso(nowMs);
  next.consecutiveFailures = 0;
  delete next.nextAttemptAt;
  next.lastError = null;
  next.pending = meta;
  next.lastEndpoint = meta.endpointUrl;
  return next;
}

/** A pending request was denied: the record is gone, the denial is the last error. */
export function afterFailure(
  id: string,
  state: CertificateState | null,
  nowMs: number,
  error: unknown,
  random: () => number,
  notAfterMs: number | undefined,
  clearsPending: boolean,
): CertificateState {
  const next = baseState(id, state);
  next.lastAttemptAt = iso(nowMs);
  next.consecutiveFailures = (next.consecutiveFailures ?? 0) + 1;
  const failure: { consecutiveFailures: number; failedAtMs: number; notAfterMs?: number } = { consecutiveFailures: next.consecutiveFailures, failedAtMs: nowMs };
  if (notAfterMs !== undefined) failure.notAfterMs = notAfterMs;
  next.nextAttemptAt = iso(scheduleRetry(failure, random));
  next.lastError = storedError(error, nowMs);
  if (clearsPending) next.pending = null;
  if (error instanceof AutoenrollError && 'endpoint' in error && typeof error.endpoint === 'string') next.lastEndpoint = error.endpoint;
  return next;
}

/** Records why a certificate could not be acted on (a policy failure, a configuration problem) without changing its schedule. */
export function withLastError(id: string, state: CertificateState | null, nowMs: number, error: unknown): CertificateState {
  const next = baseState(id, state);
  next.lastError = storedError(error, nowMs);
  return next;
}

/** How many possible orphans a certificate's state keeps (the oldest are dropped). */
export const MAX_POSSIBLE_ORPHANS = 20;

/** Records a submission that timed out and may still be issued by the CA. */
export function withPossibleOrphan(id: string, state: CertificateState | null, orphan: PossibleOrphan): CertificateState {
  const next = baseState(id, state);
  next.possibleOrphans = [...(state?.possibleOrphans ?? []), orphan].slice(-MAX_POSSIBLE_ORPHANS);
  return next;
}
