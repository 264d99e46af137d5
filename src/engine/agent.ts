// One autoenrollment pass (architecture.md "One path through the house"): policy, then for each
// certificate under its lock — recovery, plan, one step — then a final plan that tells when
// anything is next due. The CLI commands and the service only call runPass and print or schedule
// from its PassResult; all enrollment logic is here and below.
import { didYouMean } from './nearestNames.js';
import { readFile } from 'node:fs/promises';
import type { CertificateConfig, PolicyServerConfig } from '../config/types.js';
import { AutoenrollError, ConfigError, InternalError, UsageError, errorToJson } from '../errors.js';
import { readCertificates } from '../pki/pem.js';
import type { ActionTaken, Agent, AgentDeps, CertificateResult, PassOptions, PassResult } from './agentTypes.js';
import { stepLabel } from './agentTypes.js';
import type { PolicyView } from './cachedPolicy.js';
import type { PolicyStepResult } from './policyStep.js';
import type { EndpointCredential } from './endpointCredential.js';
import { openConfiguredToken } from './tokenAccess.js';
import { executeEnroll, executeRenew, executeResubmit, executeRetrieve, notAfterOf } from './executor.js';
import type { ExecutionResult, ExecutorContext, Turn } from './executor.js';
import { aggregateExitCode, idleVerdict } from './passOutcome.js';
import { plan } from './planner.js';
import type { CertificateAction, PlanOperation } from './plannerTypes.js';
import { certificatePlanInput, hasEnrollmentCredentials, hasKerberosServers, hasPasswordCredentials, scheduleOverrides } from './plannerInput.js';
import { haveKerberosCredentials, kerberosCredential, kerberosServers } from './kerberosCredential.js';
import type { CertificateSnapshot } from './plannerInput.js';
import { runPolicyStep, stepFreshness, usernameCredential } from './policyStep.js';
import { afterFailure, withLastError } from './stateUpdates.js';
import { FileSystemError, fileSystemError } from '../store/fsErrors.js';
import { loadEndpointMemory, saveEndpointMemory } from './endpointMemory.js';
import { managedClientCertificate } from './managedCertificate.js';
import type { CircuitBreaker } from '../transport/circuitBreaker.js';
import { readSnapshot, recoverTurn } from './turnRecovery.js';
import { recordingStore } from './turnWrites.js';
import { deriveFromStore, settleDerivation, withDerived } from './autoenrollStep.js';
import { dryRunTurn } from './dryRunTurn.js';
import { skippedUrisOfTemplate } from './policyLookup.js';

/** How long a pass waits for another process holding a certificate's lock. */
const LOCK_WAIT_MS = 30_000;
/** enroll --wait: interval between QueryTokenStatus polls. */
const WAIT_POLL_MS = 2_000;
/** Certificate turns run at once within a pass. */
const CONCURRENCY = 8;

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** The planner's notion of the operation: the service's scheduled pass is "no operation". */
function planOperation(operation: PassOptions['operation']): PlanOperation | undefined {
  return operation === 'scheduled' ? undefined : operation;
}

function selectCertificates(all: readonly CertificateConfig[], ids: readonly string[] | undefined): CertificateConfig[] {
  if (!ids || ids.length === 0) return [...all];
  const unknown = ids.filter((id) => !all.some((c) => c.id === id));
  if (unknown.length > 0) {
    throw new UsageError(`no certificate with id ${unknown.map((id) => `"${id}"`).join(', ')} in the configuration${didYouMean(unknown[0] as string, all.map((c) => c.id))} (known: ${all.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
  }
  return all.filter((c) => ids.includes(c.id));
}

export function createAgent(deps: AgentDeps): Agent {
  const { config, store, logger } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  const schedule = scheduleOverrides(config);
  // One memory of failed endpoints per agent: the service keeps it across its passes, a one-shot
  // command reads what earlier processes left in stateDir/endpoints.json.
  let breaker: CircuitBreaker | undefined;
  let breakerOnDisk: string | null = null;
  const endpointMemory = async (): Promise<CircuitBreaker> => {
    if (!breaker) {
      breaker = await loadEndpointMemory(config.stateDir, logger);
      breakerOnDisk = JSON.stringify(breaker.toJSON());
    }
    return breaker;
  };

  async function trustAnchors(): Promise<string[]> {
    if (!config.trust.caFile) return [];
    try {
      return [await readFile(config.trust.caFile, 'utf8')];
    } catch (error) {
      throw new ConfigError(`cannot read the trust bundle: ${(error as Error).message}`, { file: config.trust.caFile, key: 'trust.caFile' }, 'TRUST_FILE_UNREADABLE');
    }
  }

  async function runPass(options: PassOptions): Promise<PassResult> {
    const memory = await endpointMemory();
    try {
      return await runPassWith(options, memory);
    } finally {
      breakerOnDisk = await saveEndpointMemory(config.stateDir, memory, breakerOnDisk, logger);
    }
  }

  async function runPassWith(options: PassOptions, memory: CircuitBreaker): Promise<PassResult> {
    const startedMs = deps.now();
    const operation = planOperation(options.operation);
    // Policy-driven certificates managed before may authenticate to a certificate CEP; then the policy decides.
    const before = await deriveFromStore(config, store, [], startedMs);
    const policy = await runPolicyStep({
      config,
      http: deps.httpsClient,
      resolveSecret: deps.resolveSecret,
      nowMs: startedMs,
      random: deps.random,
      hostId: deps.hostId,
      logger,
      forced: options.operation === 'pulse',
      manual: operation !== undefined,
      clientCertificate: await managedClientCertificate(withDerived(config, before.managed), store, startedMs, logger),
      breaker: memory,
      ...(options.signal ? { signal: options.signal } : {}),
    });

    const derivation = await deriveFromStore(config, store, policy.views, startedMs, before.previous);
    const passCertificates = [...config.certificates, ...derivation.managed];
    const selected = selectCertificates(passCertificates, options.ids);

    let credential: Promise<EndpointCredential> | undefined;
    const firstUsernameServer = config.policyServers.find((s) => s.auth === 'username' && s.username !== undefined && s.password !== undefined);
    const ctx: ExecutorContext = {
      config,
      http: deps.httpsClient,
      resolveSecret: deps.resolveSecret,
      random: deps.random,
      nowMs: deps.now,
      logger,
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      views: policy.views,
      breaker: memory,
      ...(policy.info.policyId ? { policyId: policy.info.policyId } : {}),
      havePassword: hasPasswordCredentials(config),
      clockSkewToleranceMs: config.clockSkewToleranceMs,
      ...(haveKerberosCredentials(config) ? { kerberosCredential: () => kerberosCredential(kerberosServers(config)[0] as PolicyServerConfig, deps.resolveSecret, deps.now()) } : {}),
      usernameCredential: () => {
        if (!firstUsernameServer) return Promise.reject(new ConfigError('no policy server has a username and password for the enrollment service', {}, 'NO_CREDENTIALS'));
        credential ??= usernameCredential(firstUsernameServer, deps.resolveSecret);
        return credential;
      },
      trustAnchorsPem: await trustAnchors(),
      caCertificatesDer: caCertificates(policy.views),
    };

    // Certificates are independent (one lock each) and a turn mostly waits on fsync and the
    // network, so a few run at once; results keep the config's order.
    const results: CertificateResult[] = new Array<CertificateResult>(selected.length);
    const afterTurns = new Map<string, CertificateSnapshot>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < selected.length && !options.signal?.aborted) {
        const index = next++;
        results[index] = await certificateTurn(ctx, selected[index] as CertificateConfig, options, policy, afterTurns);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, selected.length) }, worker));
    const done = results.filter((r): r is CertificateResult => r !== undefined);

    // The plan after the pass: display state, renewal instant, next event, and when to wake.
    const nowMs = deps.now();
    const snapshots = await Promise.all(
      passCertificates.map((c) => afterTurns.get(c.id) ?? readSnapshot(c, store.certificate(c.id)).catch(() => null)),
    );
    const password = hasEnrollmentCredentials(config);
    const inputs = snapshots.filter((s): s is CertificateSnapshot => s !== null).map((s) => certificatePlanInput(s, policy.views, password, hasKerberosServers(config)));
    const after = plan({ hostId: deps.hostId, policy: stepFreshness(policy, operation !== undefined), certificates: inputs }, nowMs, { schedule });
    for (const result of done) {
      const action = after.actions.find((a) => a.certificateId === result.id);
      const snapshot = snapshots.find((s) => s?.config.id === result.id);
      if (action) {
        result.status = action.status;
        result.renewAt = iso(action.renewAtMs);
        result.nextEventAt = iso(action.nextEventMs);
        result.warnings.push(...action.warnings.filter((w) => !result.warnings.includes(w)));
      }
      const current = snapshot?.current;
      if (current) {
        result.generation = current.generation.number;
        result.thumbprint = current.description.thumbprintSha1;
        result.serial = current.description.serialHex;
        result.notAfter = current.description.notAfter.toISOString();
      }
      if (result.requestId === null && snapshot?.pending) result.requestId = snapshot.pending.meta.requestId;
    }

    const autoenroll = await settleDerivation(config, store, policy.views, nowMs, derivation, options.dryRun !== true, logger);
    const exitCodes = done.map((r) => (r.exitCode = exitCodeOfResult(r)));
    return {
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(autoenroll ? { autoenroll } : {}),
      operation: options.operation,
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(deps.now()).toISOString(),
      exitCode: aggregateExitCode(exitCodes),
      policy: policy.info,
      certificates: done,
      nextWakeAt: new Date(after.nextWakeAtMs).toISOString(),
    };
  }

  async function certificateTurn(
    ctx: ExecutorContext,
    certificate: CertificateConfig,
    options: PassOptions,
    policy: PolicyStepResult,
    afterTurns: Map<string, CertificateSnapshot>,
  ): Promise<CertificateResult> {
    const { views, error: policyError } = policy;
    const id = certificate.id;
    const log = logger.child({ id });
    for (const skipped of skippedUrisOfTemplate(views, certificate.template, hasKerberosServers(config))) log.debug('endpoint.skipped', { url: skipped.uri, reason: skipped.reason });
    const result: CertificateResult = {
      id,
      action: 'none',
      planned: 'none',
      outcome: 'nothing-due',
      status: 'NEW',
      error: null,
      generation: null,
      thumbprint: null,
      previousThumbprint: null,
      serial: null,
      notAfter: null,
      requestId: null,
      endpoint: null,
      nextEventAt: null,
      renewAt: null,
      outputs: [],
      warnings: [],
    };
    const recorder = recordingStore(store.certificate(id));
    const certStore = recorder.store;
    let release: (() => Promise<void>) | undefined;
    let snapshot: CertificateSnapshot | undefined;
    let action: ActionTaken = 'none';
    if (options.dryRun) {
      return dryRunTurn({ config, hostId: deps.hostId, nowMs: deps.now(), schedule, certificate, store: certStore, options, policy, result });
    }
    try {
      release = await store.lock(id, { wait: LOCK_WAIT_MS });
      await openConfiguredToken(certificate, deps.resolveSecret);
      const recovery = await recoverTurn({ ...ctx, logger: log }, certificate, certStore);
      if (recovery.reinstalled.length > 0) {
        result.action = 'reinstall';
        result.outputs = recovery.reinstalled;
      }
      if (recovery.hookError) {
        result.error = errorToJson(recovery.hookError);
        result.exitCode = recovery.hookError.exitCode;
      }
      snapshot = recovery.snapshot;
      const turn: Turn = { config: certificate, store: certStore, snapshot };

      let execution: ExecutionResult | null = null;
      if (recovery.submitting) {
        result.planned = 'resubmit/interrupted';
        action = 'resubmit';
        execution = await executeResubmit(ctx, turn, recovery.submitting);
      } else {
        const input = certificatePlanInput(snapshot, views, ctx.havePassword || ctx.kerberosCredential !== undefined, ctx.kerberosCredential !== undefined);
        const planned = plan({ hostId: deps.hostId, policy: stepFreshness(policy, options.operation !== 'scheduled'), certificates: [input] }, deps.now(), {
          operation: planOperation(options.operation),
          schedule,
          ...(options.force ? { force: true } : {}),
          ...(options.reuseKey ? { reuseKey: true } : {}),
        }).actions[0] as CertificateAction;
        // A one-shot command that finds a pending request polls it rather than reporting
        // "nothing to do": it never submits beside it, and `enroll` then exits 5 or installs.
        if (planned.kind === 'skip' && planned.blocked.kind === 'retrieve' && options.operation !== 'scheduled') {
          Object.assign(planned, planned.blocked);
        }
        result.planned = stepLabel(planned);
        result.warnings.push(...planned.warnings);
        log.debug('certificate.planned', { step: result.planned, status: planned.status });
        switch (planned.kind) {
          case 'enroll':
          case 're-enroll':
            action = planned.kind;
            execution = await executeEnroll(ctx, turn, planned.targetTemplate, planned.kind);
            break;
          case 'renew':
            action = 'renew';
            execution = await executeRenew(ctx, turn, planned.reuseKey);
            break;
          case 'retrieve':
            action = 'retrieve';
            execution = await executeRetrieve(ctx, turn);
            break;
          default: {
            const verdict = idleVerdict(planned, policyError);
            result.outcome = verdict.outcome;
            if (verdict.error && !result.error) result.error = errorToJson(verdict.error);
            if (verdict.message) result.message = verdict.message;
            if (verdict.error) result.exitCode = verdict.error.exitCode;
            // `status` shows the last failure's code and message, policy failures included.
            if (verdict.error && snapshot.state?.lastError?.message !== verdict.error.message) {
              await certStore.writeState(withLastError(id, snapshot.state, deps.now(), verdict.error));
            }
          }
        }
      }

      if (execution) {
        execution = await waitWhilePending(ctx, turn, execution, options);
        applyExecution(result, execution);
      }
      // Known only when the turn ended normally and every store call it made succeeded.
      const current = execution?.outcome === 'issued' ? execution.current : snapshot.current;
      if (!recorder.writes.unknown && current !== undefined) {
        const { writes } = recorder;
        afterTurns.set(id, {
          config: certificate,
          state: writes.state ?? snapshot.state,
          current,
          pending: writes.pending !== undefined ? writes.pending : snapshot.pending,
        });
      }
    } catch (caught) {
      const error = caught instanceof AutoenrollError ? caught : (fileSystemError(caught, { config }) ?? new InternalError(`${(caught as Error).message}`, 'INTERNAL', { cause: caught }));
      if (!(error instanceof FileSystemError) && !(caught instanceof AutoenrollError)) log.error('certificate.crashed', { message: (caught as Error).message, stack: (caught as Error).stack });
      result.action = action;
      result.outcome = 'failed';
      result.error = errorToJson(error);
      result.exitCode = error.exitCode;
      log.error('certificate.failed', { action, code: error.code, message: error.message });
      if (release && action !== 'none') await recordFailure(ctx, certStore, snapshot, error, action, certificate);
    } finally {
      await release?.();
    }
    return result;
  }

  /** `enroll --wait`: poll the pending request until issued, denied, or the time is up. */
  async function waitWhilePending(ctx: ExecutorContext, turn: Turn, execution: ExecutionResult, options: PassOptions): Promise<ExecutionResult> {
    const waitMs = options.waitPendingMs ?? 0;
    if (execution.outcome !== 'pending' || waitMs <= 0) return execution;
    const deadline = deps.now() + waitMs;
    let latest = execution;
    while (latest.outcome === 'pending' && deps.now() < deadline && !options.signal?.aborted) {
      await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - deps.now())), options.signal);
      const snapshot = await readSnapshot(turn.config, turn.store);
      if (!snapshot.pending) break;
      latest = await executeRetrieve(ctx, { ...turn, snapshot });
      latest.action = execution.action;
    }
    return latest;
  }

  async function recordFailure(
    ctx: ExecutorContext,
    certStore: ReturnType<typeof store.certificate>,
    snapshot: CertificateSnapshot | undefined,
    error: AutoenrollError,
    action: ActionTaken,
    certificate: CertificateConfig,
  ): Promise<void> {
    const id = certificate.id;
    try {
      const state = await certStore.readState();
      const notAfter = snapshot ? notAfterOf(snapshot) : undefined;
      await certStore.writeState(afterFailure(id, state, deps.now(), error, deps.random, notAfter, false));
    } catch (writeError) {
      logger.error('state.write_failed', { id, message: (writeError as Error).message });
    }
    if (ctx.hooks) {
      await ctx.hooks
        .failure({
          id,
          action,
          error: errorToJson(error),
          thumbprint: snapshot?.current?.description.thumbprintSha1 ?? null,
          notAfter: snapshot?.current?.description.notAfter.toISOString() ?? null,
          hooks: certificate.hooks,
        })
        .catch((hookError: unknown) => logger.warn('hook.failure_failed', { id, message: (hookError as Error).message }));
    }
  }

  return { runPass };
}

function applyExecution(result: CertificateResult, execution: ExecutionResult): void {
  result.action = execution.action === 'none' ? result.action : execution.action;
  result.outcome = execution.error && execution.outcome === 'failed' ? 'failed' : execution.outcome;
  if (execution.error) {
    result.error = errorToJson(execution.error);
    result.exitCode = execution.error.exitCode;
  }
  result.previousThumbprint = execution.previousThumbprint;
  result.requestId = execution.requestId;
  result.endpoint = execution.endpoint;
  result.outputs = [...result.outputs, ...execution.outputs];
  result.warnings.push(...execution.warnings);
}

function exitCodeOfResult(result: CertificateResult): number {
  if (result.exitCode !== undefined) return result.exitCode;
  if (result.outcome === 'pending') return 5;
  return 0;
}

function caCertificates(views: readonly PolicyView[]): Uint8Array[] {
  return views.flatMap((v) => v.cas.filter((ca) => ca.invalid === undefined).flatMap((ca) => readCertificates(ca.certPem, 'policy CA certificate')));
}
