// The validated configuration as plain typed objects. Everything below the loader reads these and
// nothing else: no YAML, no environment. Durations are milliseconds; paths are absolute (relative
// ones were resolved against the config file's folder); secrets are references, never values.
import type { NotificationsConfig } from './notificationTypes.js';
import { DEFAULT_SUBMIT_TIMEOUT_MS } from '../transport/submitTimeoutFailover.js';

/** Where a secret comes from. Exactly one source; the value itself never appears in the config. */
export type SecretRef =
  | { env: string }
  | { file: string }
  | { keyring: string }
  | { systemdCredential: string };

export type PolicyServerAuth = 'username' | 'certificate' | 'kerberos';

/** How a kerberos policy server (and the Kerberos CES endpoints) get a ticket. */
export type KerberosCredentialConfig =
  | { kind: 'keytab'; keytab: string; /** absent: the machine principals, first that works */ principal?: string }
  | { kind: 'ccache'; ccache: string }
  | { kind: 'password'; /** username + password of the policy server entry */ principal: string; password: SecretRef };

export interface KerberosConfig {
  credential: KerberosCredentialConfig;
  /** Service principal of the endpoints; default HTTP/<host of each URL>. */
  servicePrincipal?: string;
  /** Let the server act as us onwards (GSS delegation); default false. */
  delegation: boolean;
}

export interface PolicyServerConfig {
  /** https URL of the CEP (MS-XCEP) endpoint. */
  url: string;
  /** 'username': WS-Security UsernameToken; 'certificate': TLS client certificate = a managed certificate. */
  auth: PolicyServerAuth;
  /** Lower is preferred (default 10). */
  priority: number;
  /** Required for auth 'username'. */
  username?: string;
  /** Required for auth 'username'. */
  password?: SecretRef;
  /** For auth 'kerberos'. */
  kerberos?: KerberosConfig;
  /** Position in the config file's list (stable tie-break and for messages). */
  index: number;
}

export type KeyConfig =
  | { algorithm: 'RSA'; /** bits; absent: the template's minimum (at least 2048) */ size?: 2048 | 3072 | 4096 }
  | { algorithm: 'EC'; /** absent: P-256 or what the template requires */ curve?: 'P-256' | 'P-384' | 'P-521' };

/** A key generated in and used from a PKCS#11 token (certificates[].key.pkcs11). */
export interface Pkcs11KeyConfig {
  /** pkcs11:token=LABEL[;object=PREFIX]: the token, and the label prefix of the key objects. */
  uri: string;
  /** Absolute path of the PKCS#11 module. */
  module: string;
  pin: SecretRef;
}

export interface PfxOutputConfig {
  path: string;
  password: SecretRef;
}

export interface OutputConfig {
  /** The end-entity certificate (PEM). */
  cert?: string;
  /** The private key (PEM, PKCS#8); always written 0600. */
  key?: string;
  /** Issuing CA certificates (PEM), without the end-entity certificate. */
  chain?: string;
  /** End-entity certificate followed by the chain (PEM), what nginx/haproxy want. */
  fullchain?: string;
  pfx?: PfxOutputConfig;
  /** File mode for cert/chain/fullchain (default 0o644). Key and PFX files are always 0o600. */
  mode: number;
  /** Private key, certificate and chain (PEM) in one file (0600), replaced by one rename: a reader never sees a mismatched pair. */
  combined?: string;
}

export interface HookConfig {
  /** Commands run after a new certificate is installed, in order. */
  deploy: string[];
  /** Commands run after a failed attempt. */
  failure: string[];
  /** Per command (default 60 s). */
  timeoutMs: number;
  /** Run through the system shell instead of splitting into argv (default false). */
  shell: boolean;
  /** Names of variables of the agent's environment passed to the hooks besides the minimal set (childEnvironment.ts). */
  environment?: string[];
}

export interface CertificateConfig {
  /** Stable name ([A-Za-z0-9._-]), unique in the file; the folder name under stateDir/certs. */
  id: string;
  /** Template common name or OID, as in the policy. */
  template: string;
  subject?: string;
  dns: string[];
  ip: string[];
  upn: string[];
  email: string[];
  key?: KeyConfig;
  /** The key lives in a PKCS#11 token (key.pkcs11); no key file is written. */
  pkcs11?: Pkcs11KeyConfig;
  /** Renew with the same key (default false: a new key per renewal). */
  reuseKey: boolean;
  /** Overrides the template's renewal period. */
  renewalPeriodMs?: number;
  /** Never renew before this fraction of the lifetime has passed, unless forced (default 0.5). */
  minRenewalFraction: number;
  output?: OutputConfig;
  hooks: HookConfig;
  /** Set on certificates derived from the policy (autoenroll section), never on configured ones. */
  source?: { kind: 'autoenroll'; template: string };
}

/** What every policy-driven certificate is enrolled with; placeholders ({fqdn}, {hostname}, {template}) expanded per template. */
export interface AutoenrollCertificateSettings {
  subject: string;
  dns: string[];
  ip: string[];
  upn: string[];
  email: string[];
  key?: KeyConfig;
}

/**
 * Policy-driven autoenrollment (the `autoenroll` section): every template whose MS-XCEP
 * permission grants autoEnroll to this client becomes a managed certificate, unless the
 * allow/deny lists or an explicitly configured certificate say otherwise.
 */
export interface AutoenrollConfig {
  enabled: boolean;
  /** Template names or OIDs, `*` matches any run of characters; empty = every template. */
  allow: string[];
  /** Same syntax; a denied template is never enrolled, even when allowed. */
  deny: string[];
  defaults: AutoenrollCertificateSettings;
  /** Per template common name: replaces the default subject/SANs/key for that template. */
  perTemplate: Record<string, Partial<AutoenrollCertificateSettings>>;
  reuseKey: boolean;
  /** Outputs go to <outputDir>/<template>/{cert,key,chain,fullchain}.pem. */
  outputDir: string;
  /** File mode of cert/chain/fullchain (the key is 0600). */
  outputMode: number;
  hooks: HookConfig;
  /** Pins {fqdn}; absent: the host's name (see hostFacts.ts). */
  fqdn?: string;
}

export interface ScheduleConfig {
  /** Policy/health pass interval (default 8 h). */
  intervalMs: number;
  /** Random delay added to each pass (default 10 min). */
  jitterMs: number;
}

export interface TransportConfig {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Whole-request deadline of a CES submission (new request or renewal) only; default 120 s. */
  submitTimeoutMs: number;
  /** http(s)://host:port; HTTPS_PROXY / NO_PROXY from the environment are used when absent. */
  proxy?: string;
  noProxy?: string[];
  /** Cap the TLS version when a client certificate is used (some IIS setups renegotiate only on TLS 1.2). */
  maxTlsVersionForClientCert?: 'TLSv1.2' | 'TLSv1.3';
}

export interface TrustConfig {
  /** CA bundle (PEM) that verifies the CEP/CES TLS servers; absent: the system store. */
  caFile?: string;
}

export type LogFormat = 'json' | 'text' | 'auto';

export interface LoggingConfig {
  /** 'auto': text on a TTY, JSON otherwise. */
  format: LogFormat;
}

export interface Config {
  /** Absolute path of the file this was loaded from. */
  file: string;
  /** Its folder (base of relative paths). */
  dir: string;
  stateDir: string;
  trust: TrustConfig;
  /** Sorted by priority (lower first), then by position in the file. */
  policyServers: PolicyServerConfig[];
  certificates: CertificateConfig[];
  /** Policy-driven autoenrollment; absent when the section is not written. */
  autoenroll?: AutoenrollConfig;
  schedule: ScheduleConfig;
  transport: TransportConfig;
  /** A pending request older than this is abandoned (default 60 days). */
  pendingMaxAgeMs: number;
  logging: LoggingConfig;
  /** Who hears about failures, pending requests and expiry (docs/configuration.md, "Notifications"). */
  notifications: NotificationsConfig;
  /** How far an issued certificate's notBefore may lie ahead of the local clock (default 5 minutes). */
  clockSkewToleranceMs: number;
}

export const DEFAULTS = {
  priority: 10,
  minRenewalFraction: 0.5,
  outputMode: 0o644,
  hookTimeoutMs: 60_000,
  scheduleIntervalMs: 8 * 3600_000,
  scheduleJitterMs: 10 * 60_000,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  submitTimeoutMs: DEFAULT_SUBMIT_TIMEOUT_MS,
  pendingMaxAgeMs: 60 * 86400_000,
  /** The machine keytab realm join / adcli join writes. */
  kerberosKeytab: '/etc/krb5.keytab',
  clockSkewToleranceMs: 5 * 60_000,
} as const;
