// GetPolicies along the configured policy servers, and an answer into the policy cache: the two
// halves of the pass's policy step (policyStep.ts), also used by `autoenroll policy` so that the
// command asks exactly the servers a pass would ask, the same way, and caches what it learns.
import type { Config, PolicyServerConfig } from '../config/types.js';
import { InternalError } from '../errors.js';
import type { EndpointAttempt } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { PolicyResponse } from '../protocol/policyModel.js';
import type { CircuitBreaker } from '../transport/circuitBreaker.js';
import { withFailover } from '../transport/failover.js';
import type { ClientCertificate, HttpsClient } from '../transport/httpsClient.js';
import type { SecretResolver } from './agentTypes.js';
import { contributionOf, touchContribution, withContribution } from './cachedPolicy.js';
import type { CachedPolicyFile } from './cachedPolicy.js';
import { fetchPolicy } from './cepClient.js';
import { haveKerberosCredentials, kerberosCredential } from './kerberosCredential.js';
import type { EndpointCredential } from './endpointCredential.js';
import { writePolicyCache } from './policyCache.js';

export interface PolicyServerCall {
  config: Config;
  http: HttpsClient;
  resolveSecret: SecretResolver;
  random: () => number;
  nowMs: number;
  logger: Logger;
  /** A managed, valid certificate for certificate-auth servers; null when none is held. */
  clientCertificate: ClientCertificate | null;
  breaker?: CircuitBreaker;
  signal?: AbortSignal;
  /** When each server last answered (sent as lastUpdate, so it may say policiesNotChanged); absent: a full answer. */
  lastUpdate?: (url: string) => string | undefined;
}

export interface PolicyServerAnswer {
  response: PolicyResponse;
  server: PolicyServerConfig;
  /** Servers that failed before this one answered. */
  attempts: EndpointAttempt[];
}

/** The credential a policy (or enrollment) server of this config is asked with. */
export async function usernameCredential(server: PolicyServerConfig, resolveSecret: SecretResolver): Promise<EndpointCredential> {
  if (server.username === undefined || server.password === undefined) {
    throw new InternalError(`policy server ${server.url} has auth "username" but no username/password`, 'CONFIG_NO_CREDENTIALS');
  }
  const password = await resolveSecret(server.password, `password for ${server.username} (policy server ${server.url})`);
  return { kind: 'username', username: server.username, password };
}

/**
 * The servers that can be asked now: username ones, kerberos ones when the kerberos module is
 * there, and certificate ones once a managed certificate is held.
 */
export function usablePolicyServers(config: Config, clientCertificate: ClientCertificate | null): PolicyServerConfig[] {
  return config.policyServers.filter((s) => (s.auth === 'kerberos' ? haveKerberosCredentials(config) : s.auth === 'username' || clientCertificate !== null));
}

function tlsCap(config: Config): { maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3' } {
  return config.transport.maxTlsVersionForClientCert ? { maxTlsVersion: config.transport.maxTlsVersionForClientCert } : {};
}

/**
 * GetPolicies along `servers`: lower priority first, shuffled within a priority, failing over on
 * transport trouble and server faults (withFailover), stopping at bad credentials.
 */
export async function askPolicyServers(call: PolicyServerCall, servers: readonly PolicyServerConfig[]): Promise<PolicyServerAnswer> {
  const { config, logger, nowMs } = call;
  const endpoints = servers.map((server) => ({ url: server.url, priority: server.priority, server }));
  const { result, endpoint, attempts } = await withFailover(
    endpoints,
    async ({ server }, signal) => {
      const credential: EndpointCredential =
        server.auth === 'username'
          ? await usernameCredential(server, call.resolveSecret)
          : server.auth === 'kerberos'
            ? await kerberosCredential(server, call.resolveSecret, nowMs)
            : { kind: 'certificate', clientCertificate: call.clientCertificate as ClientCertificate, ...tlsCap(config) };
      const lastUpdate = call.lastUpdate?.(server.url);
      return fetchPolicy(call.http, server.url, credential, { lastUpdate: lastUpdate ? new Date(lastUpdate) : null, now: new Date(nowMs), signal });
    },
    {
      random: call.random,
      nowMs: () => nowMs,
      signal: call.signal,
      ...(call.breaker ? { breaker: call.breaker } : {}),
      onAttempt: (event) => {
        if (event.type === 'failure') logger.warn('policy.server_failed', { url: event.url, code: event.code, message: event.message, next: event.next });
      },
    },
  );
  return { response: result, server: endpoint.server, attempts };
}

/** Merges an answer into the cache file of its policyID (this server's contribution replaced) and writes it. */
export async function cachePolicyAnswer(stateDir: string, files: readonly CachedPolicyFile[], answer: PolicyServerAnswer, nowMs: number, logger: Logger): Promise<CachedPolicyFile> {
  const { response, server } = answer;
  const existing = files.find((f) => f.policyId === response.policyId) ?? {
    schemaVersion: 1 as const,
    policyId: response.policyId,
    sources: [],
    consecutiveFailures: 0,
  };
  let updated: CachedPolicyFile;
  if (response.policiesNotChanged === true && existing.sources.some((s) => s.url === server.url)) {
    updated = touchContribution(existing, server.url, nowMs, response.nextUpdateHours);
    logger.info('policy.not_changed', { policyId: response.policyId, url: server.url });
  } else {
    updated = withContribution(existing, contributionOf(response, server, nowMs));
    logger.info('policy.fetched', { policyId: response.policyId, url: server.url, templates: response.templates.length, cas: response.cas.length });
  }
  updated.lastAttemptAt = new Date(nowMs).toISOString();
  await writePolicyCache(stateDir, updated);
  return updated;
}
