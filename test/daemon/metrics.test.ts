import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsPath, renderMetrics, writeMetrics } from '../../src/daemon/metrics.js';
import type { MetricsSnapshot } from '../../src/daemon/metrics.js';
import { EndpointHealth } from '../../src/daemon/passMetrics.js';
import type { PassResult } from '../../src/engine/agentTypes.js';

const snapshot: MetricsSnapshot = {
  certificates: [
    { id: 'web', state: 'VALID', notAfterMs: Date.UTC(2030, 0, 1), renewAtMs: Date.UTC(2029, 11, 1), lastSuccessMs: Date.UTC(2029, 0, 1), consecutiveFailures: 0 },
    { id: 'new"one', state: 'NEW', notAfterMs: null, renewAtMs: null, lastSuccessMs: null, consecutiveFailures: 2 },
    { id: 'waiting', state: 'PENDING', notAfterMs: null, renewAtMs: null, lastSuccessMs: null, consecutiveFailures: 0, pendingSinceMs: Date.UTC(2029, 5, 1) - 90_000 },
  ],
  endpoints: [{ url: 'https://cep.example.com/CEP', up: true }, { url: 'https://ces2.example.com/CES', up: false }],
  lastPass: { finishedAtMs: Date.UTC(2029, 5, 1), durationMs: 1234, exitCode: 3 },
  passesTotal: 7,
  notificationQueues: [{ sink: 'chat', length: 3, dropped: 0 }],
};

describe('metrics textfile', () => {
  it('renders one gauge family per fact, labelled, with the state as a 0/1 set', () => {
    const text = renderMetrics(snapshot);
    expect(text).toContain('# TYPE autoenroll_certificate_not_after_seconds gauge\nautoenroll_certificate_not_after_seconds{id="web"} 1893456000\n');
    expect(text).not.toMatch(/not_after_seconds\{id="new/);
    expect(text).toContain('autoenroll_certificate_renew_at_seconds{id="web"} 1890777600');
    expect(text).toContain('autoenroll_certificate_last_success_seconds{id="web"} 1861920000');
    expect(text).toContain('autoenroll_certificate_consecutive_failures{id="new\\"one"} 2');
    expect(text).toContain('autoenroll_certificate_state{id="web",state="VALID"} 1');
    expect(text).toContain('autoenroll_certificate_state{id="web",state="EXPIRED"} 0');
    expect(text.match(/autoenroll_certificate_state\{id="web"/g)).toHaveLength(7);
    expect(text).toContain('autoenroll_endpoint_up{url="https://ces2.example.com/CES"} 0');
    expect(text).toContain('autoenroll_last_pass_duration_seconds 1.234');
    expect(text).toContain('autoenroll_last_pass_exit_code 3');
    // The exporter-style families the alert rules in docs/how-it-works.md use.
    expect(text).toContain('autoenroll_certificate_not_after_timestamp_seconds{id="web"} 1893456000');
    expect(text).toContain('autoenroll_certificate_renewal_due_timestamp_seconds{id="web"} 1890777600');
    expect(text).toContain('autoenroll_certificate_failure_streak{id="new\\"one"} 2');
    expect(text).toContain('autoenroll_certificate_failure_streak{id="web"} 0');
    expect(text).toContain('autoenroll_certificate_pending_age_seconds{id="waiting"} 90');
    expect(text).not.toMatch(/pending_age_seconds\{id="web"/);
    expect(text).toContain('autoenroll_notification_queue_length{sink="chat"} 3');
    // Every sample line is `name{labels} value` (the exposition format).
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) .+|[a-z_]+(\{[^}]*\})? -?[0-9.]+)$/);
  });

  it('replaces stateDir/metrics.prom atomically, leaving no temp file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-metrics-'));
    await writeMetrics(dir, snapshot);
    await writeMetrics(dir, { ...snapshot, passesTotal: 8 });
    expect(readFileSync(metricsPath(dir), 'utf8')).toContain('autoenroll_passes_total 8');
    expect(statSync(metricsPath(dir)).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['metrics.prom']);
  });

  it('endpoint health: answered is up, every failed attempt is down, untouched keeps its state', () => {
    const health = new EndpointHealth();
    const pass = (policyEndpoint: string | null, attempts: string[]): PassResult =>
      ({
        operation: 'pulse',
        startedAt: '',
        finishedAt: '',
        exitCode: 0,
        nextWakeAt: '',
        policy: {
          policyId: null,
          source: policyEndpoint ? 'server' : 'cache',
          endpoint: policyEndpoint,
          fetchedAt: null,
          nextUpdateAt: null,
          error: attempts.length ? { code: 'UNREACHABLE', message: 'x', attempts: attempts.map((url) => ({ url, code: 'ECONNREFUSED', message: '' })) } : null,
        },
        certificates: [],
      }) as PassResult;
    health.record(pass('https://b/CEP', ['https://a/CEP']));
    expect(health.list()).toEqual([{ url: 'https://a/CEP', up: false }, { url: 'https://b/CEP', up: true }]);
    health.record(pass(null, ['https://b/CEP']));
    expect(health.list()).toEqual([{ url: 'https://a/CEP', up: false }, { url: 'https://b/CEP', up: false }]);
  });
});
