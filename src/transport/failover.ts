// Trying endpoints in order until one gives an answer. What counts as "try the next one" is the
// fault-class table of protocol.md §3.5: transport failures and malformed answers move on; an
// authoritative answer (a CA decision, bad credentials, a configuration problem) stops at once,
// because asking another URI of the same CA would only create a second request.
import { AutoenrollError, ConfigError, EndpointConfigError, ProtocolError, TrustError, UnreachableError } from '../errors.js';
import type { EndpointAttempt } from '../errors.js';
import type { CircuitBreaker } from './circuitBreaker.js';
import { orderEndpoints } from './endpointOrder.js';
import type { OrderableEndpoint } from './endpointOrder.js';
import type { Random } from './random.js';

export type FailoverEvent =
  | { type: 'attempt'; url: string; index: number; of: number }
  | { type: 'success'; url: string; index: number; elapsedMs: number }
  | { type: 'failure'; url: string; index: number; elapsedMs: number; code: string; message: string; next: boolean };

export interface FailoverOptions {
  random: Random;
  breaker?: CircuitBreaker;
  nowMs?: () => number;
  /** Cancels the whole operation (e.g. service shutdown): no further endpoint is tried. */
  signal?: AbortSignal;
  onAttempt?: (event: FailoverEvent) => void;
}

export interface FailoverResult<E, R> {
  result: R;
  endpoint: E;
  /** The endpoints that failed before the one that answered. */
  attempts: EndpointAttempt[];
}

/** Errors after which the next endpoint is tried. Everything else is an answer and is rethrown. */
export function isFailoverError(error: unknown): error is UnreachableError | ProtocolError | TrustError | EndpointConfigError {
  return error instanceof UnreachableError || error instanceof ProtocolError || error instanceof TrustError || error instanceof EndpointConfigError;
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof AutoenrollError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function listAttempts(attempts: readonly EndpointAttempt[]): string {
  return attempts.map((attempt) => `\n  - ${attempt.url}: ${attempt.message} [${attempt.code}]`).join('');
}

function commonCode(attempts: readonly EndpointAttempt[], fallback: string): string {
  const codes = new Set(attempts.map((attempt) => attempt.code));
  return codes.size === 1 ? [...codes][0] ?? fallback : fallback;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof AutoenrollError
    ? signal.reason
    : new UnreachableError('the operation was cancelled before an endpoint answered', [], 'ABORTED', { cause: signal.reason });
}

/**
 * Calls `attempt` on each endpoint in `orderEndpoints` order until one returns. Unreachable,
 * protocol and trust failures trip the breaker and move on; any other error is rethrown at once.
 * When nothing answered: a TrustError if any endpoint failed on trust (the fix is configuration,
 * exit 4), else an UnreachableError (exit 3); both list every endpoint tried and why.
 */
export async function withFailover<E extends OrderableEndpoint, R>(
  endpoints: readonly E[],
  attempt: (endpoint: E, signal: AbortSignal) => Promise<R>,
  options: FailoverOptions,
): Promise<FailoverResult<E, R>> {
  if (endpoints.length === 0) throw new ConfigError('there is no endpoint to try', {}, 'NO_ENDPOINTS');
  const now = options.nowMs ?? Date.now;
  const ordered = orderEndpoints(endpoints, options.random, options.breaker, now());
  const attempts: EndpointAttempt[] = [];
  let firstTrustError: TrustError | undefined;
  let firstEndpointConfigError: EndpointConfigError | undefined;

  for (const [index, endpoint] of ordered.entries()) {
    if (options.signal?.aborted) throw abortError(options.signal);
    options.onAttempt?.({ type: 'attempt', url: endpoint.url, index, of: ordered.length });
    const controller = new AbortController();
    const forwardAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    const startedMs = now();
    try {
      const result = await attempt(endpoint, controller.signal);
      options.breaker?.recordSuccess(endpoint.url);
      options.onAttempt?.({ type: 'success', url: endpoint.url, index, elapsedMs: now() - startedMs });
      return { result, endpoint, attempts };
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const { code, message } = describe(error);
      const next = isFailoverError(error);
      options.onAttempt?.({ type: 'failure', url: endpoint.url, index, elapsedMs: now() - startedMs, code, message, next });
      if (!next) throw error;
      attempts.push({ url: endpoint.url, code, message });
      options.breaker?.recordFailure(endpoint.url, now(), code);
      if (error instanceof TrustError) firstTrustError ??= error;
      if (error instanceof EndpointConfigError) firstEndpointConfigError ??= error;
    } finally {
      options.signal?.removeEventListener('abort', forwardAbort);
      controller.abort();
    }
  }

  if (firstEndpointConfigError !== undefined) {
    throw new EndpointConfigError(
      `no endpoint could be used; an endpoint URL or the server's set-up must be fixed:${listAttempts(attempts)}`,
      firstEndpointConfigError.code,
      firstEndpointConfigError.endpoint,
    );
  }
  if (firstTrustError !== undefined) {
    throw new TrustError(
      `no endpoint could be used; the TLS trust problem must be fixed in the configuration:${listAttempts(attempts)}`,
      firstTrustError.code,
      firstTrustError.endpoint,
      { cause: firstTrustError },
    );
  }
  const which = attempts.length === 1 ? 'the only endpoint is' : `all ${attempts.length} endpoints are`;
  throw new UnreachableError(`${which} unreachable:${listAttempts(attempts)}`, attempts, commonCode(attempts, 'UNREACHABLE'));
}
