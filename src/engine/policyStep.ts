// The policy step of a pass (protocol.md §2.4, §7.1): decide whether the cached policy is still
// good, otherwise ask the policy servers in priority order (lower first, failover among them),
// merge the answer into the cache per policyID, and fall back to the cache when every CEP is down.
//
// A certificate-auth policy server needs a managed, valid certificate as its TLS client
// credential; until one exists it is skipped and the username server serves. The first time it
// becomes usable it is asked even when the cache is still fresh: it is the one that publishes the
// renewal-only certificate CES (protocol.md §5.1), which the username CEP may not list.
import type { Config } from '../config/types.js';
import { AutoenrollError, InternalError } from '../errors.js';
import { errorToJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { CircuitBreaker } from '../transport/circuitBreaker.js';
import type { ClientCertificate, HttpsClient } from '../transport/httpsClient.js';
import { mergePolicy } from './cachedPolicy.js';
import type { CachedPolicyFile, PolicyView } from './cachedPolicy.js';
import type { PolicyInfo, SecretResolver } from './agentTypes.js';
import { policyRefreshAt } from './policyRefresh.js';
import type { PolicyFreshnessView } from './plannerTypes.js';
import { attemptsFreshness, clearPolicyAttempts, readPolicyAttempts, readPolicyCache, recordPolicyFailure, writePolicyCache } from './policyCache.js';
import type { PolicyAttempts } from './policyCache.js';
import { scheduleOverrides } from './plannerInput.js';
import { resolveSchedule } from './scheduleSettings.js';

export interface PolicyStepInput {
  config: Config;
  http: HttpsClient;
  resolveSecret: SecretResolver;
  nowMs: number;
  random: () => number;
  hostId: string;
  logger: Logger;
  /** Refresh now whatever the cache says (pulse). */
  forced: boolean;
  /** A one-shot command: a retry backoff left by failed refreshes does not hold it back. */
  manual: boolean;
  /** A managed, valid certificate to present to certificate-auth policy servers; null when none. */
  clientCertificate: ClientCertificate | null;
  /** Recently failed endpoints, tried last (shared with the CES calls of the pass). */
  breaker?: CircuitBreaker;
  signal?: AbortSignal;
}

export interface PolicyStepResult {
  /** Applicable policies, the one of the most preferred server first. */
  views: PolicyView[];
  info: PolicyInfo;
  /** Why no server answered (the cache then served, or nothing did). */
  error: AutoenrollError | null;
  /** Failed refreshes while nothing is cached (policy-attempts.json, this pass included). */
  attempts: PolicyAttempts | null;
}

import { askPolicyServers, cachePolicyAnswer, usablePolicyServers } from './policyFetch.js';
import { kerberosModuleMissing, kerberosModuleProblem } from './kerberosCredential.js';
export { usernameCredential } from './policyFetch.js';

function applicable(files: CachedPolicyFile[], config: Config): CachedPolicyFile[] {
  const rank = (file: CachedPolicyFile): number => {
    const ranks = file.sources
      .map((s) => config.policyServers.findIndex((p) => p.url === s.url))
      .filter((i) => i >= 0);
    return ranks.length === 0 ? -1 : Math.min(...ranks);
  };
  return files
    .map((file) => ({ file, rank: rank(file) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((x) => x.file);
}

export function freshnessOf(view: PolicyView | undefined, manual: boolean): PolicyFreshnessView | null {
  if (!view) return null;
  const freshness: PolicyFreshnessView = { fetchedAtMs: view.fetchedAtMs, templateNames: view.templates.map((t) => t.commonName) };
  if (view.nextUpdateAtMs !== undefined) freshness.nextUpdateAtMs = view.nextUpdateAtMs;
  if (!manual && view.consecutiveFailures > 0) {
    freshness.consecutiveFailures = view.consecutiveFailures;
    if (view.lastAttemptAtMs !== undefined) freshness.lastAttemptAtMs = view.lastAttemptAtMs;
  }
  return freshness;
}

/** The planner's view of the policy after the policy step: the cache, else the failed attempts. */
export function stepFreshness(result: Pick<PolicyStepResult, 'views' | 'attempts'>, manual: boolean): PolicyFreshnessView | null {
  const view = result.views[0];
  return view ? freshnessOf(view, manual) : attemptsFreshness(result.attempts, manual);
}

export async function runPolicyStep(input: PolicyStepInput): Promise<PolicyStepResult> {
  const { config, logger, nowMs } = input;
  const stateDir = config.stateDir;
  let files = applicable(await readPolicyCache(stateDir, logger), config);
  let attempts = await readPolicyAttempts(stateDir, logger);
  /** With nothing cached, a failed step is remembered (see policy-attempts.json in policyCache.ts). */
  const remember = async (error: AutoenrollError): Promise<void> => {
    if (files.length > 0) return;
    const previous = attempts;
    // Counted in memory even when it cannot be written, so this pass plans with it.
    attempts = {
      schemaVersion: 1,
      consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
      lastAttemptAt: new Date(nowMs).toISOString(),
      lastError: { code: error.code, message: error.message },
    };
    try {
      await recordPolicyFailure(stateDir, previous, nowMs, error);
    } catch (writeError) {
      logger.warn('policy.attempts_write_failed', { message: (writeError as Error).message });
    }
  };
  const views = (): PolicyView[] => files.map(mergePolicy);
  const contributed = new Set(files.flatMap((f) => f.sources.map((s) => s.url)));

  const eligible = usablePolicyServers(config, input.clientCertificate);
  for (const skipped of config.policyServers.filter((s) => !eligible.includes(s))) {
    if (skipped.auth === 'kerberos') logger.warn('policy.server_skipped', { url: skipped.url, reason: kerberosModuleProblem() ?? 'Kerberos is not available' });
    else logger.debug('policy.server_skipped', { url: skipped.url, reason: 'no valid managed certificate to authenticate with yet' });
  }
  const primary = views()[0];
  const refreshAt = policyRefreshAt(primary ? freshnessOf(primary, input.manual) : attemptsFreshness(attempts, input.manual), input.hostId, nowMs, resolveSchedule(scheduleOverrides(config)), input.forced);
  // A cached policy naming a CA whose certificate is broken is asked for again at the next pass
  // (the passes are spaced by the certificate's backoff): the CA may have been repaired.
  const due = refreshAt <= nowMs || (primary?.cas.some((ca) => ca.invalid !== undefined) ?? false);
  const newcomers = eligible.filter((s) => !contributed.has(s.url));
  const targets = due ? eligible : newcomers;

  const cacheInfo = (error: AutoenrollError | null): PolicyStepResult => {
    const v = views();
    const first = v[0];
    return {
      views: v,
      error,
      attempts,
      info: {
        policyId: first?.policyId ?? null,
        source: first ? 'cache' : 'none',
        endpoint: null,
        fetchedAt: first ? new Date(first.fetchedAtMs).toISOString() : null,
        nextUpdateAt: first?.nextUpdateAtMs !== undefined ? new Date(first.nextUpdateAtMs).toISOString() : null,
        error: error ? errorToJson(error) : null,
      },
    };
  };

  if (targets.length === 0) {
    if (eligible.length === 0) {
      const error = config.policyServers.some((s) => s.auth === 'kerberos') && kerberosModuleProblem() !== undefined
        ? kerberosModuleMissing()
        : new InternalError('no policy server can be used: the only ones configured need a certificate and none is held yet', 'NO_POLICY_SERVER');
      if (!primary) await remember(error);
      return cacheInfo(primary ? null : error);
    }
    logger.debug('policy.cached', { policyId: primary?.policyId, nextRefreshAt: new Date(refreshAt).toISOString() });
    return cacheInfo(null);
  }

  try {
    const answer = await askPolicyServers(
      {
        config,
        http: input.http,
        resolveSecret: input.resolveSecret,
        random: input.random,
        nowMs,
        logger,
        clientCertificate: input.clientCertificate,
        ...(input.breaker ? { breaker: input.breaker } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
        // No lastUpdate for a contribution with a broken CA certificate: a full answer is needed to replace it.
        lastUpdate: (url) => {
          const source = files.flatMap((f) => f.sources).find((s) => s.url === url);
          return source?.cas.some((ca) => ca.invalid !== undefined) ? undefined : source?.fetchedAt;
        },
      },
      targets,
    );
    const server = answer.server;
    const updated = await cachePolicyAnswer(stateDir, files, answer, nowMs, logger);
    if (attempts) {
      await clearPolicyAttempts(stateDir).catch((error: unknown) => logger.warn('policy.attempts_clear_failed', { message: (error as Error).message }));
      attempts = null;
    }
    files = applicable([...files.filter((f) => f.policyId !== updated.policyId), updated], config);
    // Policy-driven autoenrollment reads the grants from every server's answer: a server that
    // contributed before is asked again too, or a template only it lists (the username CEP of a
    // key-based-renewal deployment) would keep its old grant while the preferred server answers.
    if (due && config.autoenroll?.enabled) {
      for (const other of eligible.filter((s) => s.url !== server.url && contributed.has(s.url))) {
        try {
          const extra = await askPolicyServers(
            {
              config,
              http: input.http,
              resolveSecret: input.resolveSecret,
              random: input.random,
              nowMs,
              logger,
              clientCertificate: input.clientCertificate,
              ...(input.breaker ? { breaker: input.breaker } : {}),
              ...(input.signal ? { signal: input.signal } : {}),
              lastUpdate: (url) => files.flatMap((f) => f.sources).find((s) => s.url === url)?.fetchedAt,
            },
            [other],
          );
          const merged = await cachePolicyAnswer(stateDir, files, extra, nowMs, logger);
          files = applicable([...files.filter((f) => f.policyId !== merged.policyId), merged], config);
        } catch (error) {
          logger.warn('policy.refresh_other_failed', { url: other.url, code: (error as AutoenrollError).code, message: (error as Error).message });
        }
      }
    }
    const v = views();
    const answered = v.find((x) => x.policyId === updated.policyId) as PolicyView;
    return {
      views: v,
      error: null,
      attempts,
      info: {
        policyId: answered.policyId,
        source: 'server',
        endpoint: server.url,
        fetchedAt: new Date(answered.fetchedAtMs).toISOString(),
        nextUpdateAt: answered.nextUpdateAtMs !== undefined ? new Date(answered.nextUpdateAtMs).toISOString() : null,
        error: null,
      },
    };
  } catch (caught) {
    const error = caught instanceof AutoenrollError ? caught : new InternalError(`policy step failed: ${(caught as Error).message}`, 'INTERNAL', { cause: caught });
    if (due) {
      // Count the failure so the service backs off its refreshes; the cache itself stays usable.
      for (const file of files) {
        const failed = { ...file, consecutiveFailures: file.consecutiveFailures + 1, lastAttemptAt: new Date(nowMs).toISOString() };
        await writePolicyCache(stateDir, failed);
      }
      files = files.map((f) => ({ ...f, consecutiveFailures: f.consecutiveFailures + 1, lastAttemptAt: new Date(nowMs).toISOString() }));
    }
    await remember(error);
    if (files.length > 0) {
      logger.warn('policy.using_cache', { policyId: files[0]?.policyId, code: error.code, message: error.message });
    } else {
      logger.error('policy.unavailable', { code: error.code, message: error.message });
    }
    // Only a newly usable server was asked and the fresh cache serves: nothing to report.
    return cacheInfo(due || files.length === 0 ? error : null);
  }
}
