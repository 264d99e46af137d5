// Performs one planned step for one certificate (the caller holds its lock and ran recovery).
//
// Durability order (architecture.md "outcome → generation"):
//   request built → submitting record (request DER + key) durable → send → answer saved durably
//   (pending/answer.json) → act on it:
//   pending: pending record (RequestID, CES URL, reference, key, request) durable → state → report
//   issued:  verify → generation commit → outputs → state → clear pending/submitting → archive → hook
//   denied:  clear submitting → the error is recorded in state
// A restart that finds a submitting record with a saved answer acts on that answer as if it had
// just arrived, without contacting the CES; without a saved answer it resends the same bytes
// (same key). A pending record is polled at the URL that accepted it and never submitted again;
// a poll's deciding answer (issued or denied) is saved the same way, so a crash before it is
// installed does not even poll again.
//
// The one window no client can close: killed after the request left and before its answer was
// saved (in practice: while waiting for it). The CA may then hold a request we never heard back
// about; the next run resubmits the same request bytes, so the worst case is one extra request
// for the same key, never a lost key.
import { humanInstant } from '../log/instant.js';
import { didYouMean } from './nearestNames.js';
import { createHash } from 'node:crypto';
import type { CertificateConfig, Config } from '../config/types.js';
import { AutoenrollError, ConfigError, EnrollmentDenied, ExpiredError, InternalError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { crashPoint } from '../store/crashPoint.js';
import type { Generation, PendingMeta, SavedAnswer, SubmittingRecord } from '../store/stateModel.js';
import type { CertificateStore } from '../store/storeTypes.js';
import { ClientAuthentication, selectEnrollmentEndpoints, usableEnrollmentEndpoints } from '../transport/enrollmentEndpoints.js';
import type { EnrollmentSelection } from '../transport/enrollmentEndpoints.js';
import type { CircuitBreaker } from '../transport/circuitBreaker.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import type { ActionTaken, AgentHooks, SecretResolver } from './agentTypes.js';
import type { PolicyView } from './cachedPolicy.js';
import { queryCes, submitToCes } from './cesClient.js';
import type { CesAnswer, CesCall, CesEndpoint } from './cesClient.js';
import type { EndpointCredential } from './endpointCredential.js';
import type { EngineGenerationMeta, InstallContext } from './issuance.js';
import type { CertificateSnapshot, CurrentCertificate } from './plannerInput.js';
import { casOfTemplate, enrollmentCandidates, invalidCaError, issuingCa, locateTemplate } from './policyLookup.js';
import type { LocatedTemplate } from './policyLookup.js';
import { buildEnrollmentRequest, buildKeyRenewalRequest, publicKeySpkiOfPem } from './requestBuilder.js';
import type { BuiltRequest } from './requestBuilder.js';
import { installAnswer, replayAnswer, saveAnswer } from './savedAnswer.js';
import { afterFailure, afterPending, withPossibleOrphan } from './stateUpdates.js';

export interface ExecutorContext extends InstallContext {
  config: Config;
  http: HttpsClient;
  resolveSecret: SecretResolver;
  random: () => number;
  logger: Logger;
  hooks?: AgentHooks;
  signal?: AbortSignal;
  views: PolicyView[];
  /** Recently failed endpoints of this agent (endpointMemory.ts). */
  breaker?: CircuitBreaker;
  /** The UsernameToken credential for username CES endpoints (resolved once per pass). */
  usernameCredential: () => Promise<EndpointCredential>;
  havePassword: boolean;
  /** The Negotiate credential for Kerberos CES endpoints; absent: Kerberos endpoints are not used. */
  kerberosCredential?: () => Promise<EndpointCredential>;
}

export interface Turn {
  config: CertificateConfig;
  store: CertificateStore;
  snapshot: CertificateSnapshot;
}

export interface ExecutionResult {
  action: ActionTaken;
  outcome: 'issued' | 'pending' | 'failed';
  error: AutoenrollError | null;
  generation: Generation | null;
  /** When issued: the new generation with its parsed certificate. */
  current?: CurrentCertificate;
  previousThumbprint: string | null;
  requestId: string | null;
  endpoint: string | null;
  outputs: string[];
  warnings: string[];
}

const digestOf = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

function locate(ctx: ExecutorContext, nameOrOid: string): LocatedTemplate {
  const located = locateTemplate(ctx.views, nameOrOid);
  if (!located) {
    throw new ConfigError(
      ctx.views.length === 0
        ? 'no enrollment policy is available (no policy server answered and nothing is cached)'
        : `template "${nameOrOid}" is not in the enrollment policy${didYouMean(nameOrOid, ctx.views.flatMap((v) => v.templates.map((t) => t.commonName)))}`,
      {},
      ctx.views.length === 0 ? 'NO_POLICY' : 'TEMPLATE_NOT_IN_POLICY',
    );
  }
  return located;
}

function certificateCredential(ctx: ExecutorContext, generation: Generation): EndpointCredential {
  const credential: EndpointCredential = {
    kind: 'certificate',
    clientCertificate: { certPem: generation.certPem, keyPem: generation.keyPem, chainPem: generation.chainPem },
  };
  const cap = ctx.config.transport.maxTlsVersionForClientCert;
  if (cap) credential.maxTlsVersion = cap;
  return credential;
}

function cesCall(ctx: ExecutorContext, current: Generation | null): CesCall {
  return {
    http: ctx.http,
    random: ctx.random,
    nowMs: ctx.nowMs,
    logger: ctx.logger,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.breaker ? { breaker: ctx.breaker } : {}),
    credentialFor: async (endpoint) => {
      switch (endpoint.clientAuthentication) {
        case ClientAuthentication.USERNAME_PASSWORD:
          return ctx.usernameCredential();
        case ClientAuthentication.KERBEROS:
          if (!ctx.kerberosCredential) throw new InternalError(`${endpoint.url} needs Kerberos and it is not configured`, 'NO_KERBEROS');
          return ctx.kerberosCredential();
        case ClientAuthentication.CERTIFICATE:
          if (!current) throw new InternalError(`${endpoint.url} needs a client certificate and there is none`, 'NO_CLIENT_CERTIFICATE');
          // A certificate is never presented before its notBefore (a clock behind the CA's: CLOCK_SKEW).
          if (Date.parse(current.meta.notBefore) > ctx.nowMs()) {
            throw new InternalError(`${endpoint.url} needs a client certificate and the current one is valid only from ${current.meta.notBefore} (CLOCK_SKEW)`, 'CLIENT_CERT_NOT_YET_VALID');
          }
          return certificateCredential(ctx, current);
        default:
          return { kind: 'none' };
      }
    },
  };
}

interface Submission {
  kind: 'enroll' | 'renew';
  request: Pick<BuiltRequest, 'der' | 'keyPem' | 'publicKeySpkiDer' | 'keyReused'>;
  located: LocatedTemplate;
  selection: EnrollmentSelection;
  action: ActionTaken;
  warnings: string[];
}

function emptyResult(action: ActionTaken, warnings: string[] = []): ExecutionResult {
  return { action, outcome: 'failed', error: null, generation: null, previousThumbprint: null, requestId: null, endpoint: null, outputs: [], warnings };
}

const authOf = (endpoint: Pick<CesEndpoint, 'clientAuthentication'>): 'username' | 'certificate' | 'kerberos' =>
  endpoint.clientAuthentication === ClientAuthentication.CERTIFICATE ? 'certificate' : endpoint.clientAuthentication === ClientAuthentication.KERBEROS ? 'kerberos' : 'username';

/** A CA decision or a credential rejection ends a submission; a transport failure keeps it, to be resent with the same bytes and key. */
async function endSubmissionOn(store: CertificateStore, error: unknown): Promise<void> {
  if (error instanceof EnrollmentDenied || !(error instanceof AutoenrollError) || error.exitCode === 4) await store.clearSubmitting();
}

/** A submission's answer (just received or saved by an earlier run) and what it needs to be acted on. */
interface Answered {
  kind: 'enroll' | 'renew';
  answer: CesAnswer;
  caId: string | undefined;
  auth: 'username' | 'certificate' | 'kerberos';
  request: Submission['request'];
  requestDigest: string;
  templateName: string;
  templateOid: string | undefined;
  subjectNameFlags?: number;
}

async function actOnAnswer(ctx: ExecutorContext, turn: Turn, a: Answered, result: ExecutionResult): Promise<ExecutionResult> {
  const { store, snapshot } = turn;
  const current = snapshot.current?.generation ?? null;
  const { answer } = a;
  result.endpoint = answer.url;
  result.requestId = answer.requestId;

  if (answer.kind === 'pending') {
    const meta: PendingMeta = {
      requestId: answer.requestId,
      endpointUrl: answer.url,
      submittedAt: new Date(ctx.nowMs()).toISOString(),
      templateName: a.templateName,
      kind: a.kind,
      auth: a.auth,
    };
    if (a.caId !== undefined) {
      meta.caId = a.caId;
      meta.caThumbprint = a.caId;
    }
    if (answer.referenceUri) meta.referenceUri = answer.referenceUri;
    if (a.templateOid) meta.templateOid = a.templateOid;
    await store.writePending({ requestDer: a.request.der, keyPem: a.request.keyPem, meta });
    crashPoint('engine:pending-written');
    await store.writeState(afterPending(turn.config.id, snapshot.state, ctx.nowMs(), meta));
    crashPoint('engine:pending-state-written');
    ctx.logger.info('request.pending', { id: turn.config.id, requestId: answer.requestId, endpoint: answer.url });
    result.outcome = 'pending';
    return result;
  }

  const installed = await installAnswer(ctx, {
    config: turn.config,
    store,
    state: snapshot.state,
    answer,
    keyPem: a.request.keyPem,
    publicKeySpkiDer: a.request.publicKeySpkiDer,
    requestDigest: a.requestDigest,
    requestDer: a.request.der,
    ...(a.subjectNameFlags !== undefined ? { subjectNameFlags: a.subjectNameFlags } : {}),
    templateName: a.templateName,
    ...(a.templateOid ? { templateOid: a.templateOid } : {}),
    keyReused: a.request.keyReused,
    previous: current,
  });
  return markIssued(result, installed, current);
}

/** Sends a built request and acts on the answer (see the order at the top of this file). */
async function submit(ctx: ExecutorContext, turn: Turn, s: Submission): Promise<ExecutionResult> {
  const { store, snapshot } = turn;
  const current = snapshot.current?.generation ?? null;
  const candidates = enrollmentCandidates(s.located.view, s.located.template, s.selection.caId);
  if (selectEnrollmentEndpoints(candidates, s.selection).length === 0) {
    const brokenCa = invalidCaError(s.located.view, s.located.template);
    if (brokenCa) throw brokenCa;
  }
  const endpoints = usableEnrollmentEndpoints(
    candidates,
    s.selection,
    { templateName: s.located.template.commonName, purpose: s.kind === 'renew' ? 'a key-based renewal' : 'an enrollment' },
    (skipped) => ctx.logger.debug('endpoint.skipped', { id: turn.config.id, url: skipped.uri, reason: skipped.reason }),
  );
  const requestDigest = digestOf(s.request.der);
  const auth = s.kind === 'renew' ? 'certificate' : 'username';
  let answer: CesAnswer;
  let endpoint: CesEndpoint;
  try {
    ({ answer, endpoint } = await submitToCes(
      {
        ...cesCall(ctx, current),
        submitTimeoutMs: ctx.config.transport.submitTimeoutMs,
        onSubmitTimeout: async (target) => {
          const latest = await store.readState();
          await store.writeState(withPossibleOrphan(turn.config.id, latest, { endpoint: target.url, at: new Date(ctx.nowMs()).toISOString().replace(/\.\d{3}Z$/, 'Z'), requestDigest }));
        },
      },
      endpoints,
      { der: s.request.der, type: s.kind === 'renew' ? 'pkcs7' : 'pkcs10', templateName: s.located.template.commonName },
      async (target) => {
        await store.writeSubmitting({
          requestDer: s.request.der,
          keyPem: s.request.keyPem,
          record: {
            requestDigest,
            endpointUrl: target.url,
            startedAt: new Date(ctx.nowMs()).toISOString(),
            templateName: s.located.template.commonName,
            kind: s.kind,
            auth,
          },
        });
        crashPoint('engine:submitting-written');
      },
      // request.der was written by writeSubmitting above, in this turn, under the lock.
      (target, raw) => saveAnswer(ctx.nowMs, store, { requestDigest, operation: 'issue', endpointUrl: raw.url, caId: target.caId, auth: authOf(target) }, raw, requestDigest),
    ));
  } catch (error) {
    if (error instanceof EnrollmentDenied) crashPoint('engine:answer-received');
    await endSubmissionOn(store, error);
    throw error;
  }
  crashPoint('engine:answer-received');
  return actOnAnswer(
    ctx,
    turn,
    {
      kind: s.kind,
      answer,
      caId: endpoint.caId,
      auth: authOf(endpoint),
      request: s.request,
      requestDigest,
      templateName: s.located.template.commonName,
      templateOid: s.located.template.oid ?? undefined,
      subjectNameFlags: s.located.template.subjectNameFlags,
    },
    emptyResult(s.action, s.warnings),
  );
}

/** Initial enrollment, or a new enrollment replacing the current certificate (expired, superseded). */
export async function executeEnroll(ctx: ExecutorContext, turn: Turn, targetTemplate: string, action: 'enroll' | 're-enroll'): Promise<ExecutionResult> {
  const located = locate(ctx, targetTemplate);
  const request = await buildEnrollmentRequest(turn.config, located.template);
  return submit(ctx, turn, {
    kind: 'enroll',
    request,
    located,
    selection: { operation: 'enroll', haveCertificate: false, havePassword: ctx.havePassword, haveKerberos: ctx.kerberosCredential !== undefined },
    action,
    warnings: request.warnings,
  });
}

/** The issuing CA of the current certificate among the template's CAs (CA affinity), if known. */
function affinity(located: LocatedTemplate, current: CertificateSnapshot['current']): string | undefined {
  if (!current) return undefined;
  return issuingCa(casOfTemplate(located.view, located.template), current.certDer)?.id;
}

/** Key-based renewal: TLS client certificate = the certificate renewed, request signed by its key. */
export async function executeRenew(ctx: ExecutorContext, turn: Turn, reuseKey: boolean): Promise<ExecutionResult> {
  const current = turn.snapshot.current;
  if (!current) throw new InternalError('there is no certificate to renew', 'NOTHING_TO_RENEW');
  if (current.description.notAfter.getTime() <= ctx.nowMs()) {
    throw new ExpiredError(`certificate "${turn.config.id}" expired on ${humanInstant(current.description.notAfter)}; run "autoenroll enroll" with credentials`);
  }
  // A renewal keeps the certificate's template (protocol.md §5.2 item 5).
  const located = (current.description.template?.oid ? locateTemplate(ctx.views, current.description.template.oid) : null) ?? locate(ctx, turn.config.template);
  const request = await buildKeyRenewalRequest(turn.config, located.template, { certDer: current.certDer, keyPem: current.generation.keyPem }, reuseKey);
  const caId = affinity(located, current);
  return submit(ctx, turn, {
    kind: 'renew',
    request,
    located,
    selection: { operation: 'renew', haveCertificate: true, havePassword: ctx.havePassword, haveKerberos: ctx.kerberosCredential !== undefined, ...(caId ? { caId } : {}) },
    action: 'renew',
    warnings: [],
  });
}

/**
 * Finishes a submission that was in flight when the previous run stopped: from its saved answer
 * when one arrived (nothing is sent), else by resending the same request bytes with the same key.
 */
export async function executeResubmit(ctx: ExecutorContext, turn: Turn, record: SubmittingRecord): Promise<ExecutionResult> {
  const kind = record.record.kind;
  const current = turn.snapshot.current;
  const currentSpki = current ? current.description.publicKeySpkiDer : undefined;
  const spki = publicKeySpkiOfPem(record.keyPem);
  const request: Submission['request'] = {
    der: record.requestDer,
    keyPem: record.keyPem,
    publicKeySpkiDer: spki,
    keyReused: currentSpki !== undefined && Buffer.from(currentSpki).equals(Buffer.from(spki)),
  };
  // Before the expiry check: a saved renewal certificate is good even if the old one expired since.
  const saved = await turn.store.readAnswer();
  if (saved?.record.operation === 'issue' && saved.record.requestDigest === record.record.requestDigest) {
    return replaySubmission(ctx, turn, record, saved, request);
  }
  if (kind === 'renew' && (!current || current.description.notAfter.getTime() <= ctx.nowMs())) {
    await turn.store.clearSubmitting();
    throw new ExpiredError(`the interrupted renewal of "${turn.config.id}" cannot be resent: the certificate it renews has expired; run "autoenroll enroll" with credentials`);
  }
  const located = locate(ctx, record.record.templateName);
  const caId = kind === 'renew' ? affinity(located, current) : undefined;
  ctx.logger.warn('request.resubmitting', { id: turn.config.id, kind, digest: record.record.requestDigest, previousEndpoint: record.record.endpointUrl });
  return submit(ctx, turn, {
    kind,
    request,
    located,
    selection: {
      operation: kind,
      haveCertificate: kind === 'renew',
      havePassword: ctx.havePassword,
      haveKerberos: ctx.kerberosCredential !== undefined,
      ...(caId ? { caId } : {}),
    },
    action: 'resubmit',
    warnings: [],
  });
}

/** Acts on the saved answer of an interrupted submission exactly as when it arrived. */
async function replaySubmission(ctx: ExecutorContext, turn: Turn, record: SubmittingRecord, saved: SavedAnswer, request: Submission['request']): Promise<ExecutionResult> {
  ctx.logger.warn('request.answer_replayed', {
    id: turn.config.id,
    kind: record.record.kind,
    digest: record.record.requestDigest,
    endpoint: saved.record.endpointUrl,
    receivedAt: saved.record.receivedAt,
  });
  let answer: CesAnswer;
  try {
    answer = replayAnswer(saved);
  } catch (error) {
    // A denial ends the submission as it did live. Anything else means the saved copy cannot be
    // read as an answer any more: forget it, and the next run resends the request.
    if (error instanceof EnrollmentDenied) await endSubmissionOn(turn.store, error);
    else await turn.store.clearAnswer();
    throw error;
  }
  const located = locateTemplate(ctx.views, record.record.templateName);
  return actOnAnswer(
    ctx,
    turn,
    {
      kind: record.record.kind,
      answer,
      caId: saved.record.caId,
      auth: saved.record.auth,
      request,
      requestDigest: record.record.requestDigest,
      templateName: record.record.templateName,
      templateOid: located?.template.oid ?? undefined,
      ...(located ? { subjectNameFlags: located.template.subjectNameFlags } : {}),
    },
    emptyResult('resubmit'),
  );
}

/**
 * QueryTokenStatus for the pending request at the URL that accepted it. A deciding answer
 * (issued or denied) is saved before it is acted on, and a saved one is used instead of polling:
 * polling again would create no request at the CA, but there is no reason to ask twice.
 */
export async function executeRetrieve(ctx: ExecutorContext, turn: Turn): Promise<ExecutionResult> {
  const { store, snapshot } = turn;
  const pending = snapshot.pending;
  if (!pending) throw new InternalError('there is no pending request to retrieve', 'NOTHING_PENDING');
  const meta = pending.meta;
  const result = emptyResult('retrieve');
  result.requestId = meta.requestId;
  result.endpoint = meta.endpointUrl;
  const endpoint: CesEndpoint = {
    uri: meta.endpointUrl,
    url: meta.endpointUrl,
    clientAuthentication: { certificate: ClientAuthentication.CERTIFICATE, kerberos: ClientAuthentication.KERBEROS, username: ClientAuthentication.USERNAME_PASSWORD }[meta.auth],
    priority: null,
    renewalOnly: meta.kind === 'renew',
    caId: meta.caId ?? '',
    tier: 0,
  };
  const current = snapshot.current?.generation ?? null;
  const requestDigest = digestOf(pending.requestDer);
  const saved = await store.readAnswer();
  const replaying = saved?.record.operation === 'query' && saved.record.requestDigest === requestDigest ? saved : null;
  let answer: CesAnswer;
  try {
    if (replaying) {
      ctx.logger.warn('request.answer_replayed', { id: turn.config.id, requestId: meta.requestId, endpoint: replaying.record.endpointUrl, receivedAt: replaying.record.receivedAt });
      answer = replayAnswer(replaying);
    } else {
      answer = await queryCes(cesCall(ctx, current), endpoint, meta.requestId, async (raw, outcome) => {
        // "Still pending" decides nothing: it is not saved, the next poll asks again.
        if (!(outcome instanceof EnrollmentDenied) && outcome.kind === 'pending') return;
        // requestDigest is of the request.der this turn read under the lock.
        await saveAnswer(ctx.nowMs, store, { requestDigest, operation: 'query', endpointUrl: raw.url, ...(meta.caId !== undefined ? { caId: meta.caId } : {}), auth: meta.auth }, raw, requestDigest);
      });
    }
  } catch (error) {
    if (error instanceof EnrollmentDenied) {
      crashPoint('engine:answer-received');
      // The CA's final word on this request: drop it (and its key) so a new request can be made.
      await store.clearPending();
      await store.writeState(afterFailure(turn.config.id, snapshot.state, ctx.nowMs(), withRequestId(error, meta.requestId), ctx.random, notAfterOf(snapshot), true));
      ctx.logger.error('request.denied', { id: turn.config.id, requestId: meta.requestId, hresult: error.hresultHex });
      result.error = withRequestId(error, meta.requestId);
      return result;
    }
    if (replaying) await store.clearAnswer();
    throw error;
  }
  crashPoint('engine:answer-received');
  if (answer.kind === 'pending') {
    await store.writeState(afterPending(turn.config.id, snapshot.state, ctx.nowMs(), meta));
    ctx.logger.info('request.still_pending', { id: turn.config.id, requestId: meta.requestId });
    result.outcome = 'pending';
    return result;
  }
  const located = locateTemplate(ctx.views, meta.templateOid ?? meta.templateName) ?? locateTemplate(ctx.views, meta.templateName);
  const installed = await installAnswer(ctx, {
    config: turn.config,
    store,
    state: snapshot.state,
    answer: { ...answer, requestId: answer.requestId ?? meta.requestId },
    keyPem: pending.keyPem,
    publicKeySpkiDer: publicKeySpkiOfPem(pending.keyPem),
    requestDigest,
    requestDer: pending.requestDer,
    ...(located?.template.subjectNameFlags !== undefined ? { subjectNameFlags: located.template.subjectNameFlags } : {}),
    templateName: meta.templateName,
    ...(meta.templateOid ?? located?.template.oid ? { templateOid: (meta.templateOid ?? located?.template.oid) as string } : {}),
    keyReused: current !== null && current.keyPem === pending.keyPem,
    previous: current,
  });
  return markIssued(result, installed, current);
}

function withRequestId(error: EnrollmentDenied, requestId: string): EnrollmentDenied {
  if (error.requestId !== undefined) return error;
  const copy = new EnrollmentDenied(error.message, { ...(error.hresult !== undefined ? { hresult: error.hresult } : {}), requestId }, error.code);
  return copy;
}

export function notAfterOf(snapshot: CertificateSnapshot): number | undefined {
  return snapshot.current?.description.notAfter.getTime();
}

/** True when `meta` is the generation a submission produced (it finished before the crash). */
export function answersSubmission(meta: EngineGenerationMeta, record: SubmittingRecord): boolean {
  return meta.requestDigest !== undefined && meta.requestDigest === record.record.requestDigest;
}

/** Records an installed certificate in the turn's result (shared by submission and retrieval). */
function markIssued(
  result: ExecutionResult,
  installed: { generation: ExecutionResult['generation']; current: ExecutionResult['current']; outputs: ExecutionResult['outputs']; hookError: ExecutionResult['error'] },
  previous: { meta: { thumbprintSha1: string } } | null,
): ExecutionResult {
  result.outcome = 'issued';
  result.generation = installed.generation;
  result.current = installed.current;
  result.previousThumbprint = previous?.meta.thumbprintSha1 ?? null;
  result.outputs = installed.outputs;
  result.error = installed.hookError;
  return result;
}
