// The start of a certificate's turn, under its lock: the store's recovery (temp leftovers, the
// `current` pointer, a pending record already installed), then the engine's part of finishing
// what a crash interrupted — a submission whose certificate was already committed, output files
// from an older generation, a state.json that does not know about the committed generation, a
// previous generation not yet archived. Nothing here sends a request.
import { readCertificates } from '../pki/pem.js';
import { describeCertificate } from '../pki/certInfo.js';
import type { CertificateConfig } from '../config/types.js';
import type { AutoenrollError } from '../errors.js';
import type { CertificateStore } from '../store/storeTypes.js';
import type { SubmittingRecord } from '../store/stateModel.js';
import { answersSubmission } from './executor.js';
import { archivePrevious, installGenerationOutputs, runDeployHook } from './issuance.js';
import type { EngineGenerationMeta, InstallContext } from './issuance.js';
import type { CertificateSnapshot } from './plannerInput.js';
import { afterIssued } from './stateUpdates.js';

export interface TurnRecovery {
  /** Output files rewritten from the current generation. */
  reinstalled: string[];
  hookError: AutoenrollError | null;
  /** A submission that was in flight and is not installed: finished from its saved answer if one arrived, else resent (executeResubmit). */
  submitting: SubmittingRecord | null;
  actions: string[];
}

export async function recoverTurn(ctx: Pick<InstallContext, 'resolveSecret' | 'hooks' | 'logger'>, config: CertificateConfig, store: CertificateStore): Promise<TurnRecovery> {
  const report = await store.recover(config.output);
  const actions = [...report.actions];
  let current = await store.current();
  let submitting = await store.readSubmitting();
  if (submitting && current && answersSubmission(current.meta as EngineGenerationMeta, submitting)) {
    await store.clearSubmitting();
    actions.push(`submission ${submitting.record.requestDigest.slice(0, 12)} was already installed as generation ${current.number}: cleared`);
    submitting = null;
  }

  let reinstalled: string[] = [];
  let hookError: AutoenrollError | null = null;
  if (current && report.outputsStale) {
    reinstalled = await installGenerationOutputs(ctx, config, store, current);
    actions.push(`output files reinstalled from generation ${current.number}`);
    hookError = await runDeployHook(ctx, config, current, reinstalled, null);
  }

  const state = await store.readState();
  let next = state;
  if (current) {
    const createdAtMs = Date.parse(current.meta.createdAt);
    const lastSuccessMs = state?.lastSuccessAt ? Date.parse(state.lastSuccessAt) : Number.NEGATIVE_INFINITY;
    if (createdAtMs > lastSuccessMs) {
      next = afterIssued(config.id, state, createdAtMs, current.meta.endpoint ?? null);
      actions.push(`state updated for generation ${current.number}`);
    }
    await archivePrevious(store, current.number);
    current = await store.current();
  }
  if (next?.pending && (await store.readPending()) === null) {
    next = { ...next, pending: null };
    if (next.status === 'PENDING') delete next.status;
  }
  if (next !== state && next !== null) await store.writeState(next);
  for (const action of actions) ctx.logger.warn('state.recovered', { id: config.id, action });
  return { reinstalled, hookError, submitting, actions };
}

/** What the store holds for one certificate now. */
export async function readSnapshot(config: CertificateConfig, store: CertificateStore): Promise<CertificateSnapshot> {
  const [state, generation, pending] = await Promise.all([store.readState(), store.current(), store.readPending()]);
  let current: CertificateSnapshot['current'] = null;
  if (generation) {
    const [certDer] = readCertificates(generation.certPem, `certificate of "${config.id}"`);
    if (certDer) current = { generation, certDer, description: describeCertificate(certDer) };
  }
  return { config, state, current, pending };
}
