// The Prometheus textfile (node_exporter's textfile collector format) written to
// stateDir/metrics.prom after each pass: one gauge family per fact, labelled by certificate id or
// endpoint URL. Rendering is pure; the file is replaced atomically so a scraper never reads half.
import path from 'node:path';
import { writeFileAtomic } from '../store/atomicFile.js';

export const CERTIFICATE_STATES = ['NEW', 'PENDING', 'VALID', 'RENEW_DUE', 'BACKING_OFF', 'EXPIRED', 'NEEDS_ATTENTION'] as const;

export interface CertificateMetrics {
  id: string;
  state: string;
  notAfterMs: number | null;
  renewAtMs: number | null;
  lastSuccessMs: number | null;
  consecutiveFailures: number;
  /** When the pending request was submitted (absent/null: nothing pending). */
  pendingSinceMs?: number | null;
}

export interface MetricsSnapshot {
  certificates: CertificateMetrics[];
  /** Every endpoint seen so far and whether its last use succeeded. */
  endpoints: Array<{ url: string; up: boolean }>;
  lastPass: { finishedAtMs: number; durationMs: number; exitCode: number } | null;
  passesTotal: number;
  /** When the snapshot was taken (pending ages are measured to it; default: lastPass.finishedAtMs). */
  nowMs?: number;
  /** Events waiting in each notification sink's outbox. */
  notificationQueues?: Array<{ sink: string; length: number; dropped: number }>;
}

type Sample = { labels: Record<string, string>; value: number };

function family(name: string, help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const sample of samples) {
    const labels = Object.entries(sample.labels)
      .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
      .join(',');
    lines.push(`${name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`);
  }
  return lines.join('\n');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

const seconds = (ms: number): number => Math.round(ms / 1000);

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const certs = snapshot.certificates;
  const present = (pick: (c: CertificateMetrics) => number | null): Sample[] =>
    certs.flatMap((c) => {
      const value = pick(c);
      return value === null ? [] : [{ labels: { id: c.id }, value: seconds(value) }];
    });
  const families = [
    family('autoenroll_certificate_not_after_seconds', 'notAfter of the installed certificate (Unix time).', present((c) => c.notAfterMs)),
    family('autoenroll_certificate_renew_at_seconds', 'Planned renewal instant of the installed certificate (Unix time).', present((c) => c.renewAtMs)),
    family('autoenroll_certificate_last_success_seconds', 'Last successful enrollment, renewal or retrieval (Unix time).', present((c) => c.lastSuccessMs)),
    family(
      'autoenroll_certificate_consecutive_failures',
      'Failed attempts since the last success.',
      certs.map((c) => ({ labels: { id: c.id }, value: c.consecutiveFailures })),
    ),
    family(
      'autoenroll_certificate_state',
      'Current state of each certificate: 1 for the state it is in, 0 for the others.',
      certs.flatMap((c) => CERTIFICATE_STATES.map((state) => ({ labels: { id: c.id, state }, value: c.state === state ? 1 : 0 }))),
    ),
    family(
      'autoenroll_endpoint_up',
      '1 when the last request to this CEP/CES endpoint got an answer, 0 when it failed.',
      snapshot.endpoints.map((e) => ({ labels: { url: e.url }, value: e.up ? 1 : 0 })),
    ),
    family('autoenroll_passes_total', 'Passes run since the service started.', [{ labels: {}, value: snapshot.passesTotal }]),
    // Names in the style of certificate exporters (x509-certificate-exporter, cert-manager), for alert rules.
    family('autoenroll_certificate_not_after_timestamp_seconds', 'Expiry (notAfter) of the installed certificate, Unix time.', present((c) => c.notAfterMs)),
    family('autoenroll_certificate_renewal_due_timestamp_seconds', 'When renewal of the installed certificate is due, Unix time.', present((c) => c.renewAtMs)),
    family(
      'autoenroll_certificate_failure_streak',
      'Failed attempts in a row since the last success (0: healthy).',
      certs.map((c) => ({ labels: { id: c.id }, value: c.consecutiveFailures })),
    ),
    family(
      'autoenroll_certificate_pending_age_seconds',
      'How long the pending request has waited for CA manager approval (absent: nothing pending).',
      certs.flatMap((c) =>
        c.pendingSinceMs === null || c.pendingSinceMs === undefined
          ? []
          : [{ labels: { id: c.id }, value: Math.max(0, seconds((snapshot.nowMs ?? snapshot.lastPass?.finishedAtMs ?? c.pendingSinceMs) - c.pendingSinceMs)) }],
      ),
    ),
  ];
  if (snapshot.notificationQueues) {
    families.push(
      family(
        'autoenroll_notification_queue_length',
        'Notifications waiting in the outbox of each sink (a sink that keeps failing grows).',
        snapshot.notificationQueues.map((q) => ({ labels: { sink: q.sink }, value: q.length })),
      ),
      family(
        'autoenroll_notification_dropped',
        'Notifications dropped because the sink\'s outbox was full.',
        snapshot.notificationQueues.map((q) => ({ labels: { sink: q.sink }, value: q.dropped })),
      ),
    );
  }
  if (snapshot.lastPass) {
    families.push(
      family('autoenroll_last_pass_seconds', 'When the last pass finished (Unix time).', [{ labels: {}, value: seconds(snapshot.lastPass.finishedAtMs) }]),
      family('autoenroll_last_pass_duration_seconds', 'How long the last pass took.', [{ labels: {}, value: snapshot.lastPass.durationMs / 1000 }]),
      family('autoenroll_last_pass_exit_code', 'Exit code a one-shot command would have returned for the last pass.', [
        { labels: {}, value: snapshot.lastPass.exitCode },
      ]),
    );
  }
  return `${families.join('\n')}\n`;
}

export function metricsPath(stateDir: string): string {
  return path.join(stateDir, 'metrics.prom');
}

/** Replaces stateDir/metrics.prom atomically (0644: metrics are not secret, and the exporter may run as another user). */
export async function writeMetrics(stateDir: string, snapshot: MetricsSnapshot): Promise<void> {
  await writeFileAtomic(metricsPath(stateDir), renderMetrics(snapshot), { mode: 0o644 });
}
