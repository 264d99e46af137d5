// The `notifications:` section as plain typed objects (see docs/configuration.md, "Notifications").
import type { NotificationEventType } from '../engine/notificationEvents.js';

export interface CommandSinkConfig {
  kind: 'command';
  /** argv: run without a shell, the event as JSON on stdin and as AUTOENROLL_* variables. */
  argv: string[];
  timeoutMs: number;
}

export interface WebhookSinkConfig {
  kind: 'webhook';
  /** https:// only; TLS is verified against `caFile`, else trust.caFile, else the system store. */
  url: string;
  caFile?: string;
  timeoutMs: number;
}

export interface SystemLogSinkConfig {
  kind: 'systemLog';
  /** auto: the journal when journald runs, else syslog. */
  mode: 'auto' | 'journald' | 'syslog';
  /** syslog socket (default /dev/log). */
  socket?: string;
  facility: string;
  tag: string;
}

export type SinkSettings = CommandSinkConfig | WebhookSinkConfig | SystemLogSinkConfig;

export interface NotificationSinkConfig {
  /** Unique; names the sink's outbox in stateDir/notifications.json and its log lines. */
  name: string;
  /** Only these events reach the sink (default: all). */
  events: NotificationEventType[];
  sink: SinkSettings;
}

export interface NotificationsConfig {
  sinks: NotificationSinkConfig[];
  /** `expiring` fires when this little is left before notAfter (default 7 d and 1 d). */
  expiringBeforeMs: number[];
  /** renewal-failing / pending-approval repeat after this long without change (default 24 h). */
  repeatMs: number;
  /** Delivery retries: exponential backoff from `retryInitialMs`, capped at `retryMaxMs`. */
  retryInitialMs: number;
  retryMaxMs: number;
}

export const NOTIFICATION_DEFAULTS = {
  expiringBeforeMs: [7 * 86400_000, 86400_000],
  repeatMs: 86400_000,
  retryInitialMs: 30_000,
  retryMaxMs: 3600_000,
  commandTimeoutMs: 30_000,
  webhookTimeoutMs: 10_000,
} as const;
