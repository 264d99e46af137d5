// The facts notification events are derived from: the pass's row for a certificate plus what its
// state.json says (failure streak, pending request). Read-only.
import type { CertificateResult, PassResult } from '../engine/agentTypes.js';
import type { ErrorJson } from '../errors.js';
import type { CertificateFacts } from '../engine/notificationEvents.js';
import type { Store } from '../store/storeTypes.js';

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const value = Date.parse(iso);
  return Number.isFinite(value) ? value : null;
};

export async function factsFromResult(row: CertificateResult, store: Store): Promise<CertificateFacts> {
  const certificate = store.certificate(row.id);
  const [state, current] = await Promise.all([certificate.readState().catch(() => null), certificate.currentMeta().catch(() => null)]);
  const pending = state?.pending ?? null;
  const error = row.error ?? (state?.lastError ? { code: state.lastError.code, message: state.lastError.message } : null);
  const attention = row.status === 'NEEDS_ATTENTION' || row.status === 'EXPIRED';
  return {
    id: row.id,
    status: row.status,
    thumbprint: row.thumbprint,
    serial: row.serial,
    notAfterMs: ms(row.notAfter),
    notBeforeMs: current && current.meta.thumbprintSha1 === row.thumbprint ? ms(current.meta.notBefore) : null,
    renewAtMs: ms(row.renewAt),
    generation: row.generation,
    previousThumbprint: row.previousThumbprint,
    installedThisPass: row.outcome === 'issued' && row.action !== 'reinstall',
    consecutiveFailures: state?.consecutiveFailures ?? (row.outcome === 'failed' ? 1 : 0),
    error: error ? { code: error.code, message: error.message } : null,
    causeKey: row.error ? causeKey(row.error) : null,
    attentionMessage: attention ? (row.message ?? error?.message ?? null) : null,
    pending:
      pending && row.status === 'PENDING'
        ? { requestId: pending.requestId, ca: pending.caId ?? null, endpoint: pending.endpointUrl, submittedAtMs: ms(pending.submittedAt) ?? Date.now() }
        : null,
  };
}

/** A failover error's cause: the sorted set of its endpoints' codes (their order is shuffled per pass). */
export function causeKey(error: ErrorJson): string {
  const attempts = (error as { attempts?: unknown }).attempts;
  if (!Array.isArray(attempts) || attempts.length === 0) return error.code;
  const codes = [...new Set(attempts.map((a) => (typeof (a as { code?: unknown }).code === 'string' ? (a as { code: string }).code : '?')))].sort();
  return `endpoints:${codes.join(',')}`;
}

export async function factsFromPass(result: PassResult, store: Store): Promise<CertificateFacts[]> {
  return Promise.all(result.certificates.map((row) => factsFromResult(row, store)));
}
