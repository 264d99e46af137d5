// Issue and QueryTokenStatus against CES endpoints (protocol.md §3, §7.2) → issued | pending, or a
// typed error. Submission fails over along the ordered endpoints on transport trouble and server
// faults; a CA decision (EnrollmentDenied) or a credential rejection stops at once, because
// asking another URI of the same CA would only create a second request. A pending request is
// polled at the one URL that accepted it, never elsewhere.
import { EnrollmentDenied, ProtocolError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { faultToError } from '../protocol/soapFault.js';
import { buildIssueRequest, buildQueryTokenStatusRequest } from '../protocol/wstepRequest.js';
import { parseWstepResponse } from '../protocol/wstepResponse.js';
import type { EnrollmentUriCandidate, SelectedEnrollmentEndpoint } from '../transport/enrollmentEndpoints.js';
import { withFailover } from '../transport/failover.js';
import type { CircuitBreaker } from '../transport/circuitBreaker.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import { postWith, usernameTokenOf } from './endpointCredential.js';
import type { EndpointCredential } from './endpointCredential.js';

export type CesEndpoint = SelectedEnrollmentEndpoint<EnrollmentUriCandidate>;

export type CesAnswer =
  | { kind: 'issued'; certificateDer: Uint8Array; pkcs7Der?: Uint8Array; requestId: string | null; url: string }
  | { kind: 'pending'; requestId: string; referenceUri: string | null; url: string };

export interface CesCall {
  http: HttpsClient;
  random: () => number;
  nowMs: () => number;
  logger: Logger;
  signal?: AbortSignal;
  /** Recently failed endpoints, tried last; failures and successes of these calls are recorded in it. */
  breaker?: CircuitBreaker;
  /** The credential for one endpoint (UsernameToken or TLS client certificate). */
  credentialFor(endpoint: CesEndpoint): Promise<EndpointCredential>;
}

export interface CesRequest {
  der: Uint8Array;
  /** pkcs10: a new request; pkcs7: a renewal (CMS signed by the old key). */
  type: 'pkcs10' | 'pkcs7';
  templateName: string;
}

/** A CES answer as it came off the wire: enough to act on it again later (parseCesAnswer). */
export interface RawCesAnswer {
  body: string;
  status: number;
  url: string;
}

/**
 * Called with every answer that decides the request — a certificate, "pending", or the CA's
 * denial — before it is returned or thrown, so the caller can save it durably first. Answers
 * that only move on to the next endpoint (transport trouble, server faults, malformed bodies)
 * and credential rejections (resent once the credentials are fixed) are not passed.
 */
export type AnswerSink = (raw: RawCesAnswer, outcome: CesAnswer | EnrollmentDenied) => Promise<void>;

/** The answer a body stands for; a fault is thrown as its typed error (same as when it arrived). */
export function parseCesAnswer(raw: RawCesAnswer): CesAnswer {
  return answerOf(raw.body, raw.status, raw.url);
}

async function settle(raw: RawCesAnswer, onAnswer: AnswerSink | undefined): Promise<CesAnswer> {
  let outcome: CesAnswer | EnrollmentDenied;
  try {
    outcome = parseCesAnswer(raw);
  } catch (error) {
    if (!(error instanceof EnrollmentDenied)) throw error;
    outcome = error;
  }
  await onAnswer?.(raw, outcome);
  if (outcome instanceof EnrollmentDenied) throw outcome;
  return outcome;
}

function answerOf(body: string, status: number, url: string): CesAnswer {
  const parsed = parseWstepResponse(body, status);
  switch (parsed.kind) {
    case 'fault':
      throw faultToError(parsed.fault, url);
    case 'pending':
      return { kind: 'pending', requestId: parsed.requestId, referenceUri: parsed.referenceUri, url };
    case 'issued': {
      if (parsed.keyExchange) throw new ProtocolError(`${url} answered with a key exchange certificate to an enrollment request`, 'WSTEP_UNEXPECTED_KET');
      const answer: CesAnswer = { kind: 'issued', certificateDer: parsed.certificateDer, requestId: parsed.requestId, url };
      if (parsed.pkcs7Der) answer.pkcs7Der = parsed.pkcs7Der;
      return answer;
    }
  }
}

/**
 * Sends an Issue request along `endpoints` (ordered by tier, priority, shuffle). `beforeSend` runs
 * before each attempt, so the caller can record durably where the request is about to go;
 * `onAnswer` runs when the deciding answer arrives, before it is returned or thrown.
 */
export async function submitToCes(
  call: CesCall,
  endpoints: readonly CesEndpoint[],
  request: CesRequest,
  beforeSend: (endpoint: CesEndpoint) => Promise<void>,
  onAnswer?: (endpoint: CesEndpoint, raw: RawCesAnswer, outcome: CesAnswer | EnrollmentDenied) => Promise<void>,
): Promise<{ answer: CesAnswer; endpoint: CesEndpoint }> {
  const { result, endpoint } = await withFailover(
    endpoints,
    async (target, signal) => {
      const credential = await call.credentialFor(target);
      const body = buildIssueRequest({
        to: target.url,
        payloadDer: request.der,
        payloadType: request.type,
        additionalContext: [{ name: 'CertificateTemplate', value: request.templateName }],
        usernameToken: usernameTokenOf(credential),
        now: new Date(call.nowMs()),
      });
      await beforeSend(target);
      const response = await postWith(call.http, credential, target.url, body, signal);
      return settle({ body: response.body, status: response.status, url: target.url }, onAnswer && ((raw, outcome) => onAnswer(target, raw, outcome)));
    },
    {
      random: call.random,
      nowMs: call.nowMs,
      signal: call.signal,
      ...(call.breaker ? { breaker: call.breaker } : {}),
      onAttempt: (event) => {
        if (event.type === 'failure') call.logger.warn('ces.endpoint_failed', { url: event.url, code: event.code, message: event.message, next: event.next });
        else if (event.type === 'attempt') call.logger.debug('ces.attempt', { url: event.url, index: event.index, of: event.of });
      },
    },
  );
  return { answer: result, endpoint };
}

/** QueryTokenStatus for a pending request, at the exact URL that accepted it. */
export async function queryCes(call: CesCall, endpoint: CesEndpoint, requestId: string, onAnswer?: AnswerSink): Promise<CesAnswer> {
  const { result } = await withFailover(
    [endpoint],
    async (target, signal) => {
      const credential = await call.credentialFor(target);
      const body = buildQueryTokenStatusRequest({ to: target.url, requestId, usernameToken: usernameTokenOf(credential), now: new Date(call.nowMs()) });
      const response = await postWith(call.http, credential, target.url, body, signal);
      return settle({ body: response.body, status: response.status, url: target.url }, onAnswer);
    },
    { random: call.random, nowMs: call.nowMs, signal: call.signal, ...(call.breaker ? { breaker: call.breaker } : {}) },
  );
  return result;
}
