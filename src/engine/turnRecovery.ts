// The start of a certificate's turn, under its lock: the store's recovery (temp leftovers, the
// `current` pointer, a pending record already installed), then the engine's part of finishing
// what a crash interrupted — a submission whose certificate was already committed, output files
// from an older generation, a state.json that does not know about the committed generation, a
// previous generation not yet archived. Nothing here sends a request.
//
// Output files are also repaired on every turn, not only after a crash: a deleted output file, or
// an output path added to the config, is written again from the current generation. The deploy
// hook runs when the consumers' files held another certificate (the marker names another
// generation, or none): for them the certificate changed. Restoring the same certificate's files
// (a deleted file, a new path, a path set changed) does not run it: nothing a consumer already
// loaded has changed, and a hook that restarts services should not run for a repair.
//
// A deploy recorded in state.json (`deployPending`, deployStep.ts) for the current generation is
// run here too: the previous run died after writing the output files and before the deploy hook
// finished, or the hook failed. It runs with the environment it would have had (old and new
// thumbprints) and is cleared once it succeeds; a failure is kept and retried on the next pass.
import { readCertificates } from '../pki/pem.js';
import { describeCertificate } from '../pki/certInfo.js';
import type { CertificateConfig } from '../config/types.js';
import type { AutoenrollError } from '../errors.js';
import type { CertificateStore } from '../store/storeTypes.js';
import type { CertificateState, Generation, PendingRecord, SubmittingRecord } from '../store/stateModel.js';
import { outputPaths } from '../store/outputs.js';
import { answersSubmission } from './executor.js';
import { crashPoint } from '../store/crashPoint.js';
import { afterDeploy, deployConfigured, deployDueFor, newDeployPending, runPendingDeploy, withDeployPending } from './deployStep.js';
import { archivePrevious, installGenerationOutputs } from './issuance.js';
import type { EngineGenerationMeta, InstallContext } from './issuance.js';
import type { CertificateSnapshot } from './plannerInput.js';
import { afterIssued } from './stateUpdates.js';
import { outputsDrift } from '../store/outputsDrift.js';

export interface TurnRecovery {
  /** Output files rewritten from the current generation. */
  reinstalled: string[];
  hookError: AutoenrollError | null;
  /** A submission that was in flight and is not installed: finished from its saved answer if one arrived, else resent (executeResubmit). */
  submitting: SubmittingRecord | null;
  actions: string[];
  /** What the store holds after the recovery, read once here so the turn does not read it again. */
  snapshot: CertificateSnapshot;
}

export async function recoverTurn(ctx: Pick<InstallContext, 'resolveSecret' | 'hooks' | 'logger' | 'nowMs'>, config: CertificateConfig, store: CertificateStore): Promise<TurnRecovery> {
  const report = await store.recover(config.output);
  const actions = [...report.actions];
  // The number recovery settled on, read straight from its folder (no second pointer resolution).
  const current = report.currentNumber === null ? null : await store.generation(report.currentNumber);
  let submitting = await store.readSubmitting();
  if (submitting && current && answersSubmission(current.meta as EngineGenerationMeta, submitting)) {
    await store.clearSubmitting();
    actions.push(`submission ${submitting.record.requestDigest.slice(0, 12)} was already installed as generation ${current.number}: cleared`);
    submitting = null;
  }

  const [state, pending] = await Promise.all([store.readState(), store.readPending()]);
  let next = state;
  if (current) {
    const createdAtMs = Date.parse(current.meta.createdAt);
    const lastSuccessMs = state?.lastSuccessAt ? Date.parse(state.lastSuccessAt) : Number.NEGATIVE_INFINITY;
    if (createdAtMs > lastSuccessMs) {
      next = afterIssued(config.id, next, createdAtMs, current.meta.endpoint ?? null);
      actions.push(`state updated for generation ${current.number}`);
    }
  }

  let reinstalled: string[] = [];
  let hookError: AutoenrollError | null = null;
  const deploying = deployConfigured(ctx, config);
  let deploy = current && deploying ? deployDueFor(next, current.number) : null;
  const drift = current && config.output ? (report.outputsStale ? 'generation' : await outputsDrift(config.output, await store.readOutputsMarker().catch(() => null))) : null;
  if (current && drift) {
    if (drift === 'generation' && deploying && !deploy) {
      // The crash came before the deploy was recorded: record it now, before the consumers' files change.
      deploy = newDeployPending(current.number, null, ctx.nowMs());
      next = withDeployPending(config.id, next, deploy);
      await store.writeState(next);
      crashPoint('engine:deploy-pending-written');
    }
    reinstalled = await installGenerationOutputs(ctx, config, store, current);
    if (drift === 'generation') {
      actions.push(`output files reinstalled from generation ${current.number}`);
    } else {
      ctx.logger.info('outputs.reinstalled', { id: config.id, generation: current.number, reason: drift === 'missing' ? 'an output file was missing' : 'the configured output paths changed', paths: reinstalled });
    }
  }
  if (current && deploy) {
    if (drift !== 'generation') {
      actions.push(
        deploy.failures > 0
          ? `deploy hook of generation ${current.number} failed ${deploy.failures} time(s): running it again`
          : `deploy hook of generation ${current.number} had not run to completion: running it`,
      );
    }
    const outputs = reinstalled.length > 0 ? reinstalled : config.output ? outputPaths(config.output).map(([, file]) => file) : [];
    hookError = await runPendingDeploy(ctx, config, current, outputs, deploy);
    next = afterDeploy(config.id, next, deploy, hookError, ctx.nowMs());
  } else if (next?.deployPending) {
    // Owed for another generation (a rollback, a newer one) or no deploy hook any more: nothing to run.
    actions.push(`deploy of generation ${next.deployPending.generation} no longer due: cleared`);
    next = { ...next, deployPending: null };
  }

  if (current) await archivePrevious(store, current.number);
  if (next?.pending && pending === null) {
    next = { ...next, pending: null };
    if (next.status === 'PENDING') delete next.status;
  }
  if (next !== state && next !== null) await store.writeState(next);
  for (const action of actions) ctx.logger.warn('state.recovered', { id: config.id, action });
  return { reinstalled, hookError, submitting, actions, snapshot: snapshotOf(config, next, current, pending) };
}

export { outputsDrift } from '../store/outputsDrift.js';

/** What the store holds for one certificate now. */
export async function readSnapshot(config: CertificateConfig, store: CertificateStore): Promise<CertificateSnapshot> {
  const [state, generation, pending] = await Promise.all([store.readState(), store.current(), store.readPending()]);
  return snapshotOf(config, state, generation, pending);
}

function snapshotOf(config: CertificateConfig, state: CertificateState | null, generation: Generation | null, pending: PendingRecord | null): CertificateSnapshot {
  let current: CertificateSnapshot['current'] = null;
  if (generation) {
    const [certDer] = readCertificates(generation.certPem, `certificate of "${config.id}"`);
    if (certDer) current = { generation, certDer, description: describeCertificate(certDer) };
  }
  return { config, state, current, pending };
}
