// The deploy hook as a durable step. Before the output files of a new generation are written,
// state.json records `deployPending` for it; it is cleared only after the deploy hook succeeded.
// The start of every turn (turnRecovery.ts) runs the hook again while `deployPending` names the
// current generation, with the same environment (old and new thumbprints). So a process killed
// after the output files and before (or while) the hook ran, or a hook that failed, is retried
// on the next pass until it succeeds; each failure is the certificate's lastError (HOOK_FAILED,
// exit 6). Once it succeeded it does not run again for that generation, except when the process
// dies between the hook's success and the state write that records it (at least once, never lost).
import type { CertificateConfig } from '../config/types.js';
import { HookFailed, isAutoenrollError } from '../errors.js';
import type { AutoenrollError } from '../errors.js';
import { crashPoint } from '../store/crashPoint.js';
import type { CertificateState, DeployPending, Generation } from '../store/stateModel.js';
import type { DeployEvent } from './agentTypes.js';
import type { InstallContext } from './issuance.js';
import { baseState, storedError } from './stateUpdates.js';

/** True when a deploy hook would run for this certificate (a hook runner and at least one command). */
export function deployConfigured(ctx: Pick<InstallContext, 'hooks'>, config: CertificateConfig): boolean {
  return ctx.hooks !== undefined && config.hooks.deploy.length > 0;
}

export function newDeployPending(generation: number, previousThumbprint: string | null, nowMs: number): DeployPending {
  return { generation, previousThumbprint, at: new Date(nowMs).toISOString(), failures: 0 };
}

export function withDeployPending(id: string, state: CertificateState | null, pending: DeployPending): CertificateState {
  return { ...baseState(id, state), deployPending: pending };
}

/** The pending deploy when it is for `generationNumber`; null otherwise. */
export function deployDueFor(state: CertificateState | null, generationNumber: number): DeployPending | null {
  const pending = state?.deployPending ?? null;
  return pending !== null && pending.generation === generationNumber ? pending : null;
}

/**
 * The state after the deploy hook ran: cleared on success (and a HOOK_FAILED lastError with it),
 * kept with one more failure and the error as lastError otherwise, so the next pass retries.
 */
export function afterDeploy(id: string, state: CertificateState | null, pending: DeployPending, hookError: AutoenrollError | null, nowMs: number): CertificateState {
  const next = baseState(id, state);
  if (hookError === null) {
    next.deployPending = null;
    if (next.lastError?.code === 'HOOK_FAILED') next.lastError = null;
    return next;
  }
  next.deployPending = { ...pending, failures: pending.failures + 1 };
  next.lastError = storedError(hookError, nowMs);
  return next;
}

/** Runs the deploy hook for a pending deploy (the caller records the outcome with afterDeploy). */
export async function runPendingDeploy(
  ctx: Pick<InstallContext, 'hooks' | 'logger'>,
  config: CertificateConfig,
  generation: Generation,
  outputs: string[],
  pending: DeployPending,
): Promise<AutoenrollError | null> {
  const hookError = await runDeployHook(ctx, config, generation, outputs, pending.previousThumbprint);
  crashPoint('engine:hook-ran');
  return hookError;
}

/** Runs the certificate's deploy hook for `generation`; a failure is logged and returned, never thrown. */
export async function runDeployHook(
  ctx: Pick<InstallContext, 'hooks' | 'logger'>,
  config: CertificateConfig,
  generation: Generation,
  outputs: string[],
  oldThumbprint: string | null,
): Promise<AutoenrollError | null> {
  if (!ctx.hooks) return null;
  const o = config.output;
  const event: DeployEvent = {
    id: config.id,
    generation: generation.number,
    certPath: o?.cert ?? null,
    keyPath: o?.key ?? null,
    chainPath: o?.chain ?? null,
    fullchainPath: o?.fullchain ?? null,
    pfxPath: o?.pfx?.path ?? null,
    oldThumbprint,
    newThumbprint: generation.meta.thumbprintSha1,
    notAfter: generation.meta.notAfter,
    hooks: config.hooks,
  };
  try {
    await ctx.hooks.deploy(event);
    return null;
  } catch (error) {
    const failed = isAutoenrollError(error) && error instanceof HookFailed
      ? error
      : new HookFailed(`the deploy hook of certificate "${config.id}" failed: ${(error as Error).message}`);
    ctx.logger.error('hook.deploy_failed', { id: config.id, code: failed.code, message: failed.message, outputs });
    return failed;
  }
}
