// Schema of the `notifications:` section (valibot); normalized by notificationsConfig.ts.
import * as v from 'valibot';
import { NOTIFICATION_EVENTS } from '../engine/notificationEvents.js';
import { parseDuration } from './duration.js';

const nonEmptyString = v.pipe(v.string('expected a string'), v.trim(), v.nonEmpty('must not be empty'));

const duration = v.pipe(
  v.string('expected a duration with a unit, such as 500ms, 10s, 8h or 7d'),
  v.check((text) => parseDuration(text) !== undefined, 'expected a duration with a unit, such as 500ms, 10s, 8h or 7d'),
  v.transform((text) => parseDuration(text) as number),
);

const eventName = v.picklist(NOTIFICATION_EVENTS, `expected one of ${NOTIFICATION_EVENTS.join(', ')}`);

const httpsUrl = v.pipe(
  nonEmptyString,
  v.check((text) => {
    try {
      return new URL(text).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an https:// URL (TLS is always verified)'),
);

const sink = v.strictObject({
  name: v.optional(v.pipe(nonEmptyString, v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1 to 64 characters from A-Z a-z 0-9 . _ -'))),
  events: v.optional(v.pipe(v.array(eventName, 'expected a list of event names'), v.minLength(1, 'list at least one event (leave "events" out for all)'))),
  command: v.optional(
    v.union([nonEmptyString, v.pipe(v.array(nonEmptyString), v.minLength(1, 'the command needs at least the program'))], 'expected a command line or a list of arguments'),
  ),
  timeout: v.optional(duration),
  webhook: v.optional(v.strictObject({ url: httpsUrl, caFile: v.optional(nonEmptyString), timeout: v.optional(duration) })),
  systemLog: v.optional(
    v.strictObject({
      mode: v.optional(v.picklist(['auto', 'journald', 'syslog'], 'expected "auto", "journald" or "syslog"')),
      socket: v.optional(nonEmptyString),
      facility: v.optional(v.picklist(['daemon', 'user', 'auth', 'authpriv', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'expected a syslog facility such as daemon or local0')),
      tag: v.optional(v.pipe(nonEmptyString, v.regex(/^[A-Za-z0-9._-]{1,32}$/, 'expected 1 to 32 characters from A-Z a-z 0-9 . _ -'))),
    }),
  ),
});

export const notificationsSchema = v.strictObject({
  expiringBefore: v.optional(v.array(duration, 'expected a list of durations, such as [7d, 1d]')),
  repeat: v.optional(duration),
  retry: v.optional(v.strictObject({ initial: v.optional(duration), max: v.optional(duration) })),
  sinks: v.optional(v.array(sink, 'expected a list of sinks')),
});

export type RawNotifications = v.InferOutput<typeof notificationsSchema>;
