// Builds the metrics snapshot from a pass result plus the stored per-certificate state (last
// success and failure count live in state.json, not in the result). Endpoint health is remembered
// across passes: a pass that did not touch an endpoint leaves its last known state.
import type { ErrorJson } from '../errors.js';
import type { PassResult } from '../engine/agentTypes.js';
import type { Store } from '../store/storeTypes.js';
import type { CertificateMetrics, MetricsSnapshot } from './metrics.js';

export class EndpointHealth {
  private readonly byUrl = new Map<string, boolean>();

  record(result: PassResult): void {
    const down = (error: ErrorJson | null, except: string | null): void => {
      const attempts = (error as { attempts?: Array<{ url?: unknown }> } | null)?.attempts;
      if (!Array.isArray(attempts)) return;
      for (const attempt of attempts) if (typeof attempt.url === 'string' && attempt.url !== except) this.byUrl.set(attempt.url, false);
    };
    down(result.policy.error, result.policy.endpoint);
    if (result.policy.endpoint) this.byUrl.set(result.policy.endpoint, true);
    for (const cert of result.certificates) {
      down(cert.error, cert.endpoint);
      if (cert.endpoint) this.byUrl.set(cert.endpoint, true);
    }
  }

  list(): Array<{ url: string; up: boolean }> {
    return [...this.byUrl].sort(([a], [b]) => a.localeCompare(b)).map(([url, up]) => ({ url, up }));
  }
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const value = Date.parse(iso);
  return Number.isFinite(value) ? value : null;
};

export async function metricsFromPass(
  result: PassResult,
  store: Store,
  health: EndpointHealth,
  passesTotal: number,
  notificationQueues?: MetricsSnapshot['notificationQueues'],
): Promise<MetricsSnapshot> {
  const certificates: CertificateMetrics[] = [];
  for (const cert of result.certificates) {
    const state = await store
      .certificate(cert.id)
      .readState()
      .catch(() => null);
    certificates.push({
      id: cert.id,
      state: cert.status,
      notAfterMs: ms(cert.notAfter),
      renewAtMs: ms(cert.renewAt),
      lastSuccessMs: ms(state?.lastSuccessAt),
      consecutiveFailures: state?.consecutiveFailures ?? 0,
      pendingSinceMs: cert.status === 'PENDING' ? ms(state?.pending?.submittedAt) : null,
    });
  }
  const finishedAtMs = ms(result.finishedAt) ?? Date.now();
  return {
    certificates,
    endpoints: health.list(),
    lastPass: { finishedAtMs, durationMs: finishedAtMs - (ms(result.startedAt) ?? finishedAtMs), exitCode: result.exitCode },
    passesTotal,
    nowMs: finishedAtMs,
    ...(notificationQueues ? { notificationQueues } : {}),
  };
}
