// Reads and validates the configuration file into a Config. The only place that imports `yaml`
// and (through ./schema.js) `valibot`. Every error names the file, the line and the key path
// (`certificates[0].key.size`) so an admin can go straight to the mistake.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ConfigError } from '../errors.js';
import { defaultStateDir } from './configPath.js';
import { normalizeNotifications } from './notificationsConfig.js';
import { validateRawConfig } from './schema.js';
import type { ConfigIssue, RawConfig } from './schema.js';
import { DEFAULTS } from './types.js';
import type { AutoenrollCertificateSettings, AutoenrollConfig, CertificateConfig, Config, KerberosConfig, KerberosCredentialConfig, KeyConfig, OutputConfig, PolicyServerConfig, SecretRef } from './types.js';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders.js';

const MAX_CONFIG_BYTES = 1024 * 1024;

type KeyPath = (string | number)[];

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** Loads, validates and normalizes a configuration file. Throws ConfigError. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<Config> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new ConfigError('not a regular file', { file: absolute }, 'CONFIG_UNREADABLE');
    if (info.size > MAX_CONFIG_BYTES) throw new ConfigError(`the file is ${info.size} bytes; a configuration is at most 1 MiB`, { file: absolute }, 'CONFIG_TOO_LARGE');
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (pass --config PATH or set AUTOENROLL_CONFIG)' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new ConfigError(`cannot read the configuration: ${why}`, { file: absolute }, code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE');
  }
  return parseConfig(text, absolute, options);
}

/** Validates configuration text as if read from `file` (relative paths resolve against its folder). */
export function parseConfig(text: string, file: string, options: LoadConfigOptions = {}): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = lineCounter.linePos(problem.pos[0]).line;
    throw new ConfigError(`YAML: ${problem.message.split('\n')[0]}`, { file, line }, 'CONFIG_YAML');
  }
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`YAML: ${(error as Error).message}`, { file }, 'CONFIG_YAML');
  }
  if (input === null || input === undefined) throw new ConfigError('the file is empty', { file }, 'CONFIG_INVALID');
  if (typeof input !== 'object' || Array.isArray(input)) throw new ConfigError('expected a mapping of keys at the top level', { file, line: 1 });

  const where = (keys: KeyPath) => ({ file, line: lineOf(doc, lineCounter, keys), key: formatKeyPath(keys) });
  const result = validateRawConfig(input);
  if (!result.success) throw issuesToError(result.issues, where, file);
  return normalize(result.output, file, where, options);
}

function issuesToError(issues: ConfigIssue[], where: (keys: KeyPath) => { file: string; line: number | undefined; key: string }, file: string): ConfigError {
  const described = issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as string | number);
    return { ...where(keys), message: issueMessage(issue, keys) };
  });
  described.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const first = described[0] as (typeof described)[number];
  const more = described.slice(1).map((d) => `\n  ${file}: line ${d.line ?? '?'}: ${d.key}: ${d.message}`);
  const error = new ConfigError(first.message + more.join(''), first);
  return error;
}

function issueMessage(issue: ConfigIssue, keys: KeyPath): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  const last = keys[keys.length - 1];
  if (issue.type === 'strict_object' && issue.expected === 'never') return `unknown key "${String(last)}" (check the spelling; unknown keys are not ignored)`;
  if (issue.type === 'strict_object' && issue.input === undefined) return `missing required key "${String(last)}"`;
  if (issue.input === undefined) return 'missing required value';
  return `expected ${issue.expected ?? 'another value'}, got ${describeValue(issue.input)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return String(value);
}

export function formatKeyPath(keys: KeyPath): string {
  let out = '';
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** 1-based line of the deepest node along `keys` (the key itself for map entries). */
function lineOf(doc: Document, lineCounter: LineCounter, keys: KeyPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as YamlNode | null)?.range?.[0];
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** One of: a credential cache, a username + password, a keytab (default /etc/krb5.keytab). */
function kerberosConfig(
  server: RawConfig['policyServers'][number],
  resolve: (p: string) => string,
  resolveSecret: (ref: Record<string, string>) => SecretRef,
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
): KerberosConfig {
  const raw = server.kerberos ?? {};
  const sources = [raw.ccache !== undefined && 'kerberos.ccache', raw.keytab !== undefined && 'kerberos.keytab', (server.username !== undefined || server.password !== undefined) && 'username/password'].filter(Boolean);
  if (sources.length > 1) throw new ConfigError(`auth: kerberos takes one ticket source, got ${sources.join(' and ')}`, where([]));
  let credential: KerberosCredentialConfig;
  if (server.username !== undefined || server.password !== undefined) {
    if (!server.username || !server.password) throw new ConfigError('auth: kerberos with a password needs both "username" (user@REALM) and "password" (a secret source)', where([]));
    if (raw.principal !== undefined) throw new ConfigError('"kerberos.principal" is for keytabs; with a password the principal is "username"', where(['kerberos', 'principal']));
    credential = { kind: 'password', principal: server.username, password: resolveSecret(server.password) };
  } else if (raw.ccache !== undefined) {
    if (raw.principal !== undefined) throw new ConfigError('"kerberos.principal" is for keytabs; a credential cache has its own principal', where(['kerberos', 'principal']));
    credential = { kind: 'ccache', ccache: /^[A-Z]+:/.test(raw.ccache) ? raw.ccache : `FILE:${resolve(raw.ccache)}` };
  } else {
    credential = { kind: 'keytab', keytab: resolve(raw.keytab ?? DEFAULTS.kerberosKeytab), ...(raw.principal !== undefined ? { principal: raw.principal } : {}) };
  }
  return { credential, delegation: raw.delegation ?? false, ...(raw.servicePrincipal !== undefined ? { servicePrincipal: raw.servicePrincipal } : {}) };
}

function normalize(
  raw: RawConfig,
  file: string,
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
  options: LoadConfigOptions,
): Config {
  const dir = path.dirname(file);
  const resolve = (p: string) => path.resolve(dir, p);
  const resolveSecret = (ref: Record<string, string>): SecretRef => ('file' in ref ? { file: resolve(ref.file as string) } : (ref as unknown as SecretRef));

  const policyServers: PolicyServerConfig[] = raw.policyServers.map((server, index) => {
    const at = (key: string) => where(['policyServers', index, key]);
    if (server.auth === 'username') {
      if (!server.username) throw new ConfigError('missing "username" (required with auth: username)', where(['policyServers', index]));
      if (!server.password) throw new ConfigError('missing "password" (required with auth: username); write { env: NAME }, { file: PATH }, { keyring: NAME } or { systemdCredential: NAME }', where(['policyServers', index]));
    } else if (server.auth === 'certificate') {
      if (server.username !== undefined) throw new ConfigError('"username" is not used with auth: certificate (the managed certificate authenticates)', at('username'));
      if (server.password !== undefined) throw new ConfigError('"password" is not used with auth: certificate (the managed certificate authenticates)', at('password'));
    }
    if (server.auth !== 'kerberos' && server.kerberos !== undefined) throw new ConfigError(`"kerberos" is only used with auth: kerberos`, at('kerberos'));
    const out: PolicyServerConfig = { url: server.url, auth: server.auth, priority: server.priority ?? DEFAULTS.priority, index };
    if (server.auth === 'kerberos') {
      out.kerberos = kerberosConfig(server, resolve, resolveSecret, (key) => where(['policyServers', index, ...key]));
      return out;
    }
    if (server.username !== undefined) out.username = server.username;
    if (server.password !== undefined) out.password = resolveSecret(server.password);
    return out;
  });
  policyServers.sort((a, b) => a.priority - b.priority || a.index - b.index);

  const seen = new Map<string, number>();
  const certificates: CertificateConfig[] = (raw.certificates ?? []).map((cert, index) => {
    const previous = seen.get(cert.id);
    if (previous !== undefined) {
      throw new ConfigError(`duplicate id "${cert.id}" (also used by certificates[${previous}]); ids name state folders and must be unique`, where(['certificates', index, 'id']));
    }
    seen.set(cert.id, index);
    const out: CertificateConfig = {
      id: cert.id,
      template: cert.template,
      dns: cert.dns ?? [],
      ip: cert.ip ?? [],
      upn: cert.upn ?? [],
      email: cert.email ?? [],
      reuseKey: cert.reuseKey ?? false,
      minRenewalFraction: cert.minRenewalFraction ?? DEFAULTS.minRenewalFraction,
      hooks: {
        deploy: cert.hooks?.deploy ?? [],
        failure: cert.hooks?.failure ?? [],
        timeoutMs: cert.hooks?.timeout ?? DEFAULTS.hookTimeoutMs,
        shell: cert.hooks?.shell ?? false,
        ...(cert.hooks?.environment !== undefined ? { environment: cert.hooks.environment } : {}),
      },
    };
    if (cert.subject !== undefined) out.subject = cert.subject;
    if (cert.key !== undefined) {
      const keyWhere = (key: KeyPath) => where(['certificates', index, 'key', ...key]);
      if (cert.key.pkcs11 !== undefined) {
        out.pkcs11 = { uri: cert.key.pkcs11.uri, module: resolve(cert.key.pkcs11.module), pin: resolveSecret(cert.key.pkcs11.pin) };
        if (cert.output?.pfx !== undefined) {
          throw new ConfigError('a PFX output needs the private key, which never leaves the PKCS#11 token; remove output.pfx (consumers of a token key take its PKCS#11 URI: output.key receives it)', where(['certificates', index, 'output', 'pfx']), 'PKCS11_PFX_REFUSED');
        }
      }
      if (cert.key.algorithm !== undefined) out.key = normalizeKey({ ...cert.key, algorithm: cert.key.algorithm }, keyWhere);
      else if (cert.key.pkcs11 === undefined) throw new ConfigError('missing required key "algorithm" ("RSA" or "EC")', keyWhere([]));
      else if (cert.key.size !== undefined || cert.key.curve !== undefined) throw new ConfigError('"size" and "curve" need "algorithm"', keyWhere([]));
    }
    if (cert.renewalPeriod !== undefined) out.renewalPeriodMs = cert.renewalPeriod;
    if (cert.output !== undefined) out.output = normalizeOutput(cert.output, resolve, resolveSecret, (key) => where(['certificates', index, 'output', ...key]));
    return out;
  });
  checkOutputCollisions(certificates, where);

  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const config: Config = {
    file,
    dir,
    stateDir: raw.stateDir !== undefined ? resolve(raw.stateDir) : defaultStateDir(platform, env),
    trust: raw.trust?.caFile !== undefined ? { caFile: resolve(raw.trust.caFile) } : {},
    policyServers,
    certificates,
    schedule: {
      intervalMs: raw.schedule?.interval ?? DEFAULTS.scheduleIntervalMs,
      jitterMs: raw.schedule?.jitter ?? DEFAULTS.scheduleJitterMs,
    },
    transport: {
      connectTimeoutMs: raw.transport?.connectTimeout ?? DEFAULTS.connectTimeoutMs,
      requestTimeoutMs: raw.transport?.requestTimeout ?? DEFAULTS.requestTimeoutMs,
      submitTimeoutMs: raw.transport?.submitTimeout ?? DEFAULTS.submitTimeoutMs,
    },
    pendingMaxAgeMs: raw.pendingMaxAge ?? DEFAULTS.pendingMaxAgeMs,
    logging: { format: raw.logging?.format ?? 'auto' },
    notifications: normalizeNotifications(raw.notifications, resolve, where),
    clockSkewToleranceMs: raw.clockSkewTolerance ?? DEFAULTS.clockSkewToleranceMs,
  };
  if (raw.autoenroll !== undefined) config.autoenroll = normalizeAutoenroll(raw.autoenroll, resolve, (keys) => where(['autoenroll', ...keys]));
  if (config.schedule.intervalMs < 60_000) throw new ConfigError('must be at least 1m', where(['schedule', 'interval']));
  for (const key of ['connectTimeout', 'requestTimeout'] as const) {
    const value = raw.transport?.[key];
    if (value !== undefined && value <= 0) throw new ConfigError('must be more than 0', where(['transport', key]));
  }
  if (raw.transport?.proxy !== undefined) config.transport.proxy = raw.transport.proxy;
  if (raw.transport?.noProxy !== undefined) config.transport.noProxy = raw.transport.noProxy;
  if (raw.transport?.maxTlsVersionForClientCert !== undefined) config.transport.maxTlsVersionForClientCert = raw.transport.maxTlsVersionForClientCert;
  return config;
}

function normalizeKey(
  key: NonNullable<NonNullable<RawConfig['certificates']>[number]['key']> & { algorithm: 'RSA' | 'EC' },
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
): KeyConfig {
  if (key.algorithm === 'RSA') {
    if (key.curve !== undefined) throw new ConfigError('"curve" applies to EC keys; RSA keys take "size"', where(['curve']));
    if (key.size !== undefined && key.size !== 2048 && key.size !== 3072 && key.size !== 4096) {
      throw new ConfigError(`RSA keys are 2048, 3072 or 4096 bits, got ${key.size}`, where(['size']));
    }
    return key.size === undefined ? { algorithm: 'RSA' } : { algorithm: 'RSA', size: key.size };
  }
  const bySize = { 256: 'P-256', 384: 'P-384', 521: 'P-521' } as const;
  let curve = key.curve;
  if (key.size !== undefined) {
    const fromSize: 'P-256' | 'P-384' | 'P-521' | undefined = bySize[key.size as keyof typeof bySize];
    if (fromSize === undefined) throw new ConfigError(`EC keys are 256, 384 or 521 bits (or write curve: P-256), got ${key.size}`, where(['size']));
    if (curve !== undefined && curve !== fromSize) throw new ConfigError(`size ${key.size} contradicts curve ${curve}`, where(['size']));
    curve = fromSize;
  }
  return curve === undefined ? { algorithm: 'EC' } : { algorithm: 'EC', curve };
}

function normalizeOutput(
  raw: NonNullable<NonNullable<RawConfig['certificates']>[number]['output']>,
  resolve: (p: string) => string,
  resolveSecret: (ref: Record<string, string>) => SecretRef,
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
): OutputConfig {
  const out: OutputConfig = { mode: raw.mode ?? DEFAULTS.outputMode };
  if (raw.mode !== undefined && (raw.mode & 0o600) !== 0o600) throw new ConfigError('the owner needs read and write (0600 at least)', where(['mode']));
  if (raw.cert !== undefined) out.cert = resolve(raw.cert);
  if (raw.key !== undefined) out.key = resolve(raw.key);
  if (raw.chain !== undefined) out.chain = resolve(raw.chain);
  if (raw.fullchain !== undefined) out.fullchain = resolve(raw.fullchain);
  if (raw.pfx !== undefined) out.pfx = { path: resolve(raw.pfx.path), password: resolveSecret(raw.pfx.password) };
  if (raw.combined !== undefined) out.combined = resolve(raw.combined);
  return out;
}

/** Two outputs writing the same file would silently overwrite each other: refuse. */
function checkOutputCollisions(
  certificates: CertificateConfig[],
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
): void {
  const owners = new Map<string, string>();
  certificates.forEach((cert, index) => {
    const o = cert.output;
    if (!o) return;
    const entries: [string, string | undefined][] = [['cert', o.cert], ['key', o.key], ['chain', o.chain], ['fullchain', o.fullchain], ['pfx', o.pfx?.path], ['combined', o.combined]];
    for (const [name, file] of entries) {
      if (file === undefined) continue;
      const keyPath: KeyPath = ['certificates', index, 'output', name];
      const owner = owners.get(file);
      if (owner !== undefined && owner !== 'chain') throw new ConfigError(`${file} is also written by ${owner}`, where(keyPath));
      if (owner === 'chain' && name !== 'chain') throw new ConfigError(`${file} is also written by a chain output`, where(keyPath));
      owners.set(file, name === 'chain' ? 'chain' : formatKeyPath(keyPath));
    }
  });
}

type RawAutoenroll = NonNullable<RawConfig['autoenroll']>;
type RawAutoenrollSettings = Pick<RawAutoenroll, 'subject' | 'dns' | 'ip' | 'upn' | 'email' | 'key'>;

/** The autoenroll section with its documented defaults (CN={fqdn}, dns [{fqdn}], outputs in ./certs). */
function normalizeAutoenroll(
  raw: RawAutoenroll,
  resolve: (p: string) => string,
  where: (keys: KeyPath) => { file: string; line: number | undefined; key: string },
): AutoenrollConfig {
  const settings = (s: RawAutoenrollSettings, at: KeyPath): Partial<AutoenrollCertificateSettings> => {
    const out: Partial<AutoenrollCertificateSettings> = {};
    for (const name of ['subject', 'dns', 'ip', 'upn', 'email'] as const) {
      const value = s[name];
      if (value === undefined) continue;
      for (const text of Array.isArray(value) ? value : [value]) {
        const unknown = unknownPlaceholders(text);
        if (unknown.length > 0) {
          throw new ConfigError(`unknown placeholder {${unknown[0]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`, where([...at, name]));
        }
      }
      (out as Record<string, unknown>)[name] = value;
    }
    if (s.key !== undefined) {
      const keyWhere = (key: KeyPath): ReturnType<typeof where> => where([...at, 'key', ...key]);
      if (s.key.pkcs11 !== undefined) throw new ConfigError('token keys (key.pkcs11) are set per certificate under "certificates", not for policy-driven certificates', keyWhere(['pkcs11']));
      if (s.key.algorithm === undefined) throw new ConfigError('missing required key "algorithm" ("RSA" or "EC")', keyWhere([]));
      out.key = normalizeKey({ ...s.key, algorithm: s.key.algorithm }, keyWhere);
    }
    return out;
  };
  const defaults = settings(raw, []);
  const perTemplate: Record<string, Partial<AutoenrollCertificateSettings>> = {};
  for (const [name, entry] of Object.entries(raw.perTemplate ?? {})) perTemplate[name] = settings(entry, ['perTemplate', name]);
  const out: AutoenrollConfig = {
    enabled: raw.enabled ?? true,
    allow: raw.templates?.allow ?? [],
    deny: raw.templates?.deny ?? [],
    defaults: {
      subject: defaults.subject ?? 'CN={fqdn}',
      dns: defaults.dns ?? ['{fqdn}'],
      ip: defaults.ip ?? [],
      upn: defaults.upn ?? [],
      email: defaults.email ?? [],
      ...(defaults.key ? { key: defaults.key } : {}),
    },
    perTemplate,
    reuseKey: raw.reuseKey ?? false,
    outputDir: resolve(raw.outputDir ?? './certs'),
    outputMode: raw.outputMode ?? DEFAULTS.outputMode,
    hooks: {
      deploy: raw.hooks?.deploy ?? [],
      failure: raw.hooks?.failure ?? [],
      timeoutMs: raw.hooks?.timeout ?? DEFAULTS.hookTimeoutMs,
      shell: raw.hooks?.shell ?? false,
    },
  };
  if (raw.fqdn !== undefined) out.fqdn = raw.fqdn;
  return out;
}
