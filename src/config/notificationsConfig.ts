// Normalizes the `notifications:` section: one kind per sink, unique names, resolved paths.
import { ConfigError } from '../errors.js';
import { splitCommand } from '../daemon/hookCommand.js';
import { NOTIFICATION_EVENTS } from '../engine/notificationEvents.js';
import type { RawNotifications } from './notificationsSchema.js';
import { NOTIFICATION_DEFAULTS } from './notificationTypes.js';
import type { NotificationSinkConfig, NotificationsConfig, SinkSettings } from './notificationTypes.js';

type Where = (keys: (string | number)[]) => { file: string; line: number | undefined; key: string };

export function normalizeNotifications(raw: RawNotifications | undefined, resolve: (p: string) => string, where: Where): NotificationsConfig {
  const names = new Set<string>();
  const sinks: NotificationSinkConfig[] = (raw?.sinks ?? []).map((entry, index) => {
    const at = (...keys: (string | number)[]) => where(['notifications', 'sinks', index, ...keys]);
    const kinds = (['command', 'webhook', 'systemLog'] as const).filter((k) => entry[k] !== undefined);
    if (kinds.length !== 1) {
      throw new ConfigError(`a sink has exactly one of "command", "webhook" or "systemLog", got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`, at());
    }
    const kind = kinds[0] as 'command' | 'webhook' | 'systemLog';
    if (entry.timeout !== undefined && kind !== 'command') throw new ConfigError('"timeout" applies to command sinks; a webhook takes webhook.timeout', at('timeout'));
    let sink: SinkSettings;
    if (kind === 'command') {
      let argv: string[];
      try {
        argv = typeof entry.command === 'string' ? splitCommand(entry.command) : (entry.command as string[]);
      } catch (error) {
        throw new ConfigError((error as Error).message, at('command'));
      }
      sink = { kind, argv, timeoutMs: entry.timeout ?? NOTIFICATION_DEFAULTS.commandTimeoutMs };
    } else if (kind === 'webhook') {
      const hook = entry.webhook as NonNullable<typeof entry.webhook>;
      sink = { kind, url: hook.url, timeoutMs: hook.timeout ?? NOTIFICATION_DEFAULTS.webhookTimeoutMs };
      if (hook.caFile !== undefined) sink.caFile = resolve(hook.caFile);
    } else {
      const log = entry.systemLog as NonNullable<typeof entry.systemLog>;
      sink = { kind, mode: log.mode ?? 'auto', facility: log.facility ?? 'daemon', tag: log.tag ?? 'autoenroll' };
      if (log.socket !== undefined) sink.socket = resolve(log.socket);
    }
    const name = entry.name ?? `${kind}-${index + 1}`;
    if (names.has(name)) throw new ConfigError(`duplicate sink name "${name}"; names key each sink's outbox and must be unique`, at('name'));
    names.add(name);
    return { name, events: entry.events ? [...new Set(entry.events)] : [...NOTIFICATION_EVENTS], sink };
  });
  const expiringBeforeMs = [...new Set(raw?.expiringBefore ?? NOTIFICATION_DEFAULTS.expiringBeforeMs)].sort((a, b) => b - a);
  if (expiringBeforeMs.some((ms) => ms <= 0)) throw new ConfigError('thresholds must be more than 0', where(['notifications', 'expiringBefore']));
  const config: NotificationsConfig = {
    sinks,
    expiringBeforeMs,
    repeatMs: raw?.repeat ?? NOTIFICATION_DEFAULTS.repeatMs,
    retryInitialMs: raw?.retry?.initial ?? NOTIFICATION_DEFAULTS.retryInitialMs,
    retryMaxMs: raw?.retry?.max ?? NOTIFICATION_DEFAULTS.retryMaxMs,
  };
  if (config.repeatMs < 60_000) throw new ConfigError('must be at least 1m', where(['notifications', 'repeat']));
  if (config.retryInitialMs <= 0 || config.retryMaxMs < config.retryInitialMs) throw new ConfigError('expected 0 < initial ≤ max', where(['notifications', 'retry']));
  return config;
}
