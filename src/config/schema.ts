// The configuration schema (valibot). Only the loader imports this file, so commands that never
// read a config do not load valibot. Messages are written for the admin reading them: what is
// wrong and what to write instead. Cross-field rules that need the whole object are in the loader.
import { isIP } from 'node:net';
import * as v from 'valibot';
import { parseDuration } from './duration.js';
import { notificationsSchema } from './notificationsSchema.js';

const nonEmptyString = v.pipe(v.string('expected a string'), v.trim(), v.nonEmpty('must not be empty'));

const duration = v.pipe(
  v.string('expected a duration with a unit, such as 500ms, 10s, 8h or 7d'),
  v.check((text) => parseDuration(text) !== undefined, 'expected a duration with a unit, such as 500ms, 10s, 8h or 7d'),
  v.transform((text) => parseDuration(text) as number),
);

/** A single string or a list of strings, always returned as a list. */
const stringList = (item: v.GenericSchema<string, string>) =>
  v.pipe(
    v.unknown(),
    v.transform((input) => (typeof input === 'string' ? [input] : input)),
    v.array(item, 'expected a string or a list of strings'),
  );

const SECRET_SOURCES = ['env', 'file', 'keyring', 'systemdCredential'] as const;
const SECRET_HELP =
  'write one of { env: VARIABLE }, { file: /path/to/file } (mode 0600), { keyring: NAME } (stored with "autoenroll credentials set NAME") or { systemdCredential: NAME }';

/** Why the value is not a secret reference, or undefined when it is one. */
export function secretRefProblem(input: unknown): string | undefined {
  if (typeof input === 'string' || typeof input === 'number') {
    return `a password must not be written in the configuration file (it would be readable by anyone who can read the file, and end up in backups); ${SECRET_HELP}`;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return `expected a secret reference: ${SECRET_HELP}`;
  const keys = Object.keys(input);
  const known = keys.filter((key) => (SECRET_SOURCES as readonly string[]).includes(key));
  const unknown = keys.filter((key) => !(SECRET_SOURCES as readonly string[]).includes(key));
  if (unknown.length > 0) return `unknown secret source "${unknown[0]}"; ${SECRET_HELP}`;
  if (known.length !== 1) return `a secret reference names exactly one source, got ${known.length === 0 ? 'none' : known.join(' and ')}; ${SECRET_HELP}`;
  const value = (input as Record<string, unknown>)[known[0] as string];
  if (typeof value !== 'string' || value.trim() === '') return `"${known[0]}" expects a non-empty name or path`;
  if ((known[0] === 'keyring' || known[0] === 'systemdCredential') && /[/\\]/.test(value)) {
    return `"${known[0]}" expects a name, not a path`;
  }
  return undefined;
}

const secretRef = v.custom<Record<string, string>>(
  (input) => secretRefProblem(input) === undefined,
  (issue) => secretRefProblem(issue.input) ?? 'invalid secret reference',
);

const httpsUrl = v.pipe(
  nonEmptyString,
  v.check((text) => {
    try {
      return new URL(text).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an https:// URL (plain http would send credentials in clear)'),
);

const proxyUrl = v.pipe(
  nonEmptyString,
  v.check((text) => {
    try {
      return ['http:', 'https:'].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, 'expected a proxy URL such as http://proxy.example.com:3128'),
);

const policyServer = v.strictObject({
  url: httpsUrl,
  auth: v.pipe(v.string('expected "username", "certificate" or "kerberos"'), v.picklist(['username', 'certificate', 'kerberos'], 'expected "username", "certificate" or "kerberos"')),
  priority: v.optional(v.pipe(v.number('expected a whole number'), v.integer('expected a whole number'), v.minValue(0, 'expected 0 or more'))),
  username: v.optional(nonEmptyString),
  password: v.optional(secretRef),
  kerberos: v.optional(
    v.strictObject({
      keytab: v.optional(nonEmptyString),
      principal: v.optional(nonEmptyString),
      ccache: v.optional(nonEmptyString),
      servicePrincipal: v.optional(v.pipe(nonEmptyString, v.regex(/^[^/@\s]+\/[^/@\s]+(@[^@\s]+)?$/, 'expected a service principal such as HTTP/ces.example.com'))),
      delegation: v.optional(v.boolean('expected true or false')),
    }),
  ),
});

const pkcs11Key = v.strictObject({
  uri: v.pipe(nonEmptyString, v.startsWith('pkcs11:', 'expected a PKCS#11 URI such as "pkcs11:token=autoenroll"')),
  module: nonEmptyString,
  pin: secretRef,
});

const key = v.strictObject({
  algorithm: v.optional(v.picklist(['RSA', 'EC'], 'expected "RSA" or "EC"')),
  pkcs11: v.optional(pkcs11Key),
  size: v.optional(v.picklist([2048, 3072, 4096, 256, 384, 521], 'expected 2048, 3072 or 4096 for RSA (256, 384 or 521 for EC)')),
  curve: v.optional(v.picklist(['P-256', 'P-384', 'P-521'], 'expected "P-256", "P-384" or "P-521"')),
});

const fileMode = v.pipe(
  v.string('write the mode as a quoted octal string, such as "0644" (an unquoted 0644 is read by YAML as the decimal number 644)'),
  v.regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0644" or "0640"'),
  v.transform((text) => parseInt(text, 8)),
);

const output = v.strictObject({
  cert: v.optional(nonEmptyString),
  key: v.optional(nonEmptyString),
  chain: v.optional(nonEmptyString),
  fullchain: v.optional(nonEmptyString),
  pfx: v.optional(v.strictObject({ path: nonEmptyString, password: secretRef })),
  mode: v.optional(fileMode),
  combined: v.optional(nonEmptyString),
});

const hooks = v.strictObject({
  deploy: v.optional(stringList(nonEmptyString)),
  failure: v.optional(stringList(nonEmptyString)),
  timeout: v.optional(duration),
  shell: v.optional(v.boolean('expected true or false')),
  environment: v.optional(stringList(v.pipe(nonEmptyString, v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')))),
});

const ipAddress = v.pipe(nonEmptyString, v.check((text) => isIP(text) !== 0, 'expected an IPv4 or IPv6 address'));
const emailAddress = v.pipe(nonEmptyString, v.regex(/^[^\s@]+@[^\s@]+$/, 'expected an e-mail address'));

const certificate = v.strictObject({
  id: v.pipe(
    v.string('expected a string'),
    v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1 to 64 characters from A-Z a-z 0-9 . _ - (it names a folder)'),
    v.check((id) => id !== '.' && id !== '..', 'must not be "." or ".."'),
  ),
  template: nonEmptyString,
  subject: v.optional(nonEmptyString),
  dns: v.optional(stringList(nonEmptyString)),
  ip: v.optional(stringList(ipAddress)),
  upn: v.optional(stringList(emailAddress)),
  email: v.optional(stringList(emailAddress)),
  key: v.optional(key),
  reuseKey: v.optional(v.boolean('expected true or false')),
  renewalPeriod: v.optional(duration),
  minRenewalFraction: v.optional(
    v.pipe(v.number('expected a number between 0 and 1'), v.minValue(0, 'expected a number between 0 and 1'), v.maxValue(1, 'expected a number between 0 and 1')),
  ),
  output: v.optional(output),
  hooks: v.optional(hooks),
});

const autoenrollSettings = {
  subject: v.optional(nonEmptyString),
  dns: v.optional(stringList(nonEmptyString)),
  ip: v.optional(stringList(ipAddress)),
  upn: v.optional(stringList(nonEmptyString)),
  email: v.optional(stringList(nonEmptyString)),
  key: v.optional(key),
};

const autoenroll = v.strictObject({
  enabled: v.optional(v.boolean('expected true or false')),
  templates: v.optional(v.strictObject({ allow: v.optional(stringList(nonEmptyString)), deny: v.optional(stringList(nonEmptyString)) })),
  ...autoenrollSettings,
  perTemplate: v.optional(v.record(v.string(), v.strictObject(autoenrollSettings), 'expected a mapping of template names')),
  reuseKey: v.optional(v.boolean('expected true or false')),
  outputDir: v.optional(nonEmptyString),
  outputMode: v.optional(fileMode),
  hooks: v.optional(hooks),
  fqdn: v.optional(v.pipe(nonEmptyString, v.regex(/^[A-Za-z0-9.-]+$/, 'expected a DNS name such as ws01.contoso.com'))),
});

export const configSchema = v.strictObject({
  stateDir: v.optional(nonEmptyString),
  trust: v.optional(v.strictObject({ caFile: v.optional(nonEmptyString) })),
  policyServers: v.pipe(v.array(policyServer, 'expected a list of policy servers'), v.minLength(1, 'at least one policy server is needed')),
  certificates: v.optional(v.array(certificate, 'expected a list of certificates')),
  autoenroll: v.optional(autoenroll),
  schedule: v.optional(v.strictObject({ interval: v.optional(duration), jitter: v.optional(duration) })),
  transport: v.optional(
    v.strictObject({
      connectTimeout: v.optional(duration),
      requestTimeout: v.optional(duration),
      submitTimeout: v.optional(duration),
      proxy: v.optional(proxyUrl),
      noProxy: v.optional(
        v.pipe(
          stringList(nonEmptyString),
          v.transform((list) => list.flatMap((entry) => entry.split(',').map((part) => part.trim()).filter(Boolean))),
        ),
      ),
      maxTlsVersionForClientCert: v.optional(v.picklist(['TLSv1.2', 'TLSv1.3'], 'expected "TLSv1.2" or "TLSv1.3"')),
    }),
  ),
  pendingMaxAge: v.optional(duration),
  clockSkewTolerance: v.optional(duration),
  logging: v.optional(v.strictObject({ format: v.optional(v.picklist(['json', 'text', 'auto'], 'expected "json", "text" or "auto"')) })),
  notifications: v.optional(notificationsSchema),
});

export type RawConfig = v.InferOutput<typeof configSchema>;
export type ConfigIssue = v.BaseIssue<unknown>;

export function validateRawConfig(input: unknown): { success: true; output: RawConfig } | { success: false; issues: ConfigIssue[] } {
  const result = v.safeParse(configSchema, input, { abortEarly: false });
  return result.success ? { success: true, output: result.output } : { success: false, issues: result.issues as ConfigIssue[] };
}
