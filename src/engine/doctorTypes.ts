// The shapes of `autoenroll doctor`'s report: per endpoint, one result per check, and for each
// problem a one-line cause and a one-line fix. `--json` prints DoctorReport as it is.

export type CheckName = 'dns' | 'tcp' | 'tls' | 'clock' | 'auth' | 'policy' | 'enrollment' | 'kerberos-ticket' | 'kerberos-spn' | 'kerberos-clock';
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: CheckName;
  status: CheckStatus;
  /** What was found (addresses, TLS version and certificate, skew, policy contents) or why skipped. */
  detail: string;
  /** Stable error code when the check failed or warned (e.g. CONNECTION_REFUSED, TLS_UNKNOWN_ISSUER). */
  code?: string;
  /** Exit-code class of a failure: 3 = unreachable (the service retries), 4 = trust/credential/config. */
  exitCode?: 3 | 4;
  cause?: string;
  fix?: string;
}

export type EndpointRole = 'policy' | 'enrollment';
export type EndpointAuthKind = 'username' | 'certificate' | 'kerberos' | 'anonymous' | 'unknown';

export interface EndpointReport {
  url: string;
  role: EndpointRole;
  auth: EndpointAuthKind;
  priority: number | null;
  /** Enrollment URIs: renewal-only (a key-based-renewal CES). */
  renewalOnly?: boolean;
  /** Enrollment URIs: subject of the CA they serve. */
  ca?: string;
  /** Enrollment URIs: where they were learned ("policy server URL" or "cached policy"). */
  learnedFrom?: string[];
  /** The HTTPS proxy the checks went through, if any. */
  via?: string;
  /** No check failed (warnings allowed). */
  healthy: boolean;
  checks: DoctorCheck[];
  /** The first failing check's cause and fix: what to do about this endpoint. */
  problem: { check: CheckName; code: string; cause: string; fix: string } | null;
}

export interface GeneralFinding {
  status: CheckStatus;
  code: string;
  message: string;
  fix?: string;
  exitCode?: 3 | 4;
}

export interface DoctorReport {
  /** ISO 8601. */
  checkedAt: string;
  configFile: string;
  /** Every endpoint healthy and no general problem. */
  ok: boolean;
  /** cli.md: 0 all healthy, 3 some endpoint unreachable, 4 trust/credential/config problems (4 wins). */
  exitCode: 0 | 3 | 4;
  /** Findings not tied to one endpoint (trust bundle, client certificate, no enrollment URI known). */
  general: GeneralFinding[];
  endpoints: EndpointReport[];
  summary: { endpoints: number; healthy: number; failing: number; warnings: number };
}
