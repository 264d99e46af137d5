// The error hierarchy. Every failure the user can see is one of these classes: each has a stable
// `code` (for logs, JSON output and scripts) and the process exit code of ../shared/docs/cli.md.
// Messages name the cause and, where there is one, the fix. They never contain a secret.

import { redact } from './secrets/redactor.js';

export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  DENIED: 2,
  UNREACHABLE: 3,
  CONFIG: 4,
  PENDING: 5,
  HOOK_FAILED: 6,
  EXPIRED: 7,
  /** SIGINT (128 + 2). */
  INTERRUPTED: 130,
  /** SIGTERM (128 + 15). */
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorJson {
  code: string;
  message: string;
  [key: string]: unknown;
}

export abstract class AutoenrollError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** Plain data for `--json` output, logs and `status.lastError`. */
  toJSON(): ErrorJson {
    return { code: this.code, message: this.message };
  }
}

/** A configuration file or value is wrong. Retrying will not help. */
export class ConfigError extends AutoenrollError {
  readonly exitCode = ExitCode.CONFIG;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly key: string | undefined;

  constructor(message: string, where: { file?: string; line?: number; key?: string } = {}, code = 'CONFIG_INVALID') {
    const prefix = [where.file, where.line !== undefined ? `line ${where.line}` : undefined, where.key]
      .filter((part) => part !== undefined && part !== '')
      .join(': ');
    super(code, prefix ? `${prefix}: ${message}` : message);
    this.file = where.file;
    this.line = where.line;
    this.key = where.key;
  }

  override toJSON(): ErrorJson {
    return { ...super.toJSON(), file: this.file, line: this.line, key: this.key };
  }
}

/**
 * A configured or published endpoint URL that cannot work as it is (HTTP 404 / 405, a request the
 * server cannot take): a configuration error (exit 4). Failover still tries the other endpoints;
 * when none answers, the configuration error is what is reported.
 */
export class EndpointConfigError extends ConfigError {
  readonly endpoint: string;
  constructor(message: string, code: string, endpoint: string) {
    super(message, {}, code);
    this.endpoint = endpoint;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), endpoint: this.endpoint };
  }
}

/** A command-line usage mistake (unknown option, missing argument, contradictory flags). */
export class UsageError extends AutoenrollError {
  readonly exitCode = ExitCode.CONFIG;
  constructor(message: string, code = 'USAGE') {
    super(code, message);
  }
}

/** Credentials are missing, unreadable, too widely readable, or rejected by the server. */
export class CredentialError extends AutoenrollError {
  readonly exitCode = ExitCode.CONFIG;
  constructor(message: string, code = 'CREDENTIALS', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The server's TLS certificate cannot be trusted (unknown issuer, expired, wrong name) or our client certificate was refused. */
export class TrustError extends AutoenrollError {
  readonly exitCode = ExitCode.CONFIG;
  readonly endpoint: string | undefined;
  constructor(message: string, code = 'TLS_TRUST', endpoint?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.endpoint = endpoint;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), endpoint: this.endpoint };
  }
}

/** One endpoint that was tried and why it failed. */
export interface EndpointAttempt {
  url: string;
  code: string;
  message: string;
}

/** Every endpoint tried was unreachable (DNS, refused, reset, timeout, 5xx without a SOAP fault, malformed answer). */
export class UnreachableError extends AutoenrollError {
  readonly exitCode = ExitCode.UNREACHABLE;
  readonly attempts: readonly EndpointAttempt[];
  constructor(message: string, attempts: readonly EndpointAttempt[] = [], code = 'UNREACHABLE', options?: { cause?: unknown }) {
    super(code, message, options);
    this.attempts = attempts;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), attempts: this.attempts };
  }
}

/** The CA or the enrollment service denied or rejected the request (an authoritative answer: no failover). */
export class EnrollmentDenied extends AutoenrollError {
  readonly exitCode = ExitCode.DENIED;
  /** HRESULT as a signed 32-bit decimal, as on the wire (e.g. -2146877420). */
  readonly hresult: number | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, details: { hresult?: number; requestId?: string } = {}, code = 'DENIED') {
    super(code, message);
    this.hresult = details.hresult;
    this.requestId = details.requestId;
  }
  get hresultHex(): string | undefined {
    return this.hresult === undefined ? undefined : `0x${(this.hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), hresult: this.hresult, hresultHex: this.hresultHex, requestId: this.requestId };
  }
}

/** The request is waiting for CA manager approval. Not a failure for the service; exit 5 for one-shot commands. */
export class PendingError extends AutoenrollError {
  readonly exitCode = ExitCode.PENDING;
  readonly requestId: string;
  constructor(message: string, requestId: string) {
    super('PENDING', message);
    this.requestId = requestId;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), requestId: this.requestId };
  }
}

/** The certificate has expired: key-based renewal is impossible; re-enrollment with credentials is needed. */
export class ExpiredError extends AutoenrollError {
  readonly exitCode = ExitCode.EXPIRED;
  constructor(message: string, code = 'EXPIRED') {
    super(code, message);
  }
}

/** A certificate was installed but a hook command failed. */
export class HookFailed extends AutoenrollError {
  readonly exitCode = ExitCode.HOOK_FAILED;
  constructor(message: string, code = 'HOOK_FAILED') {
    super(code, message);
  }
}

/**
 * A server answer (or a saved file) is not what the protocol allows: malformed XML, a DOCTYPE,
 * an oversized or too deeply nested body, a wrong namespace, bad base64 or ASN.1.
 * An endpoint that answers like this is treated as unhealthy (the next one is tried).
 */
export class ProtocolError extends AutoenrollError {
  readonly exitCode = ExitCode.UNREACHABLE;
  constructor(message: string, code = 'PROTOCOL', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Local input the user handed us (a file, a PEM, DER) is malformed. Retrying will not help. */
export class InputError extends AutoenrollError {
  readonly exitCode = ExitCode.CONFIG;
  constructor(message: string, code = 'INPUT', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A bug or an unexpected local failure (disk full, permission denied on the state dir, ...). */
export class InternalError extends AutoenrollError {
  readonly exitCode = ExitCode.INTERNAL;
  constructor(message: string, code = 'INTERNAL', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The command was stopped by SIGINT (exit 130) or SIGTERM (exit 143) before it finished. */
export class InterruptedError extends AutoenrollError {
  readonly exitCode: ExitCode;
  readonly signalName: 'SIGINT' | 'SIGTERM';
  constructor(signalName: 'SIGINT' | 'SIGTERM') {
    super('INTERRUPTED', `interrupted by ${signalName}; nothing was completed after the signal, and the next run resumes from the saved state`);
    this.signalName = signalName;
    this.exitCode = signalName === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED;
  }
}

/**
 * The CA issued a certificate that autoenroll refuses to install (already expired, not yet valid
 * beyond the clock-skew tolerance, another subject or other alternative names than requested).
 * An answer of the CA, like a denial: no failover, the request is over, the next attempt backs off.
 */
export class IssuedCertificateRefused extends EnrollmentDenied {
  readonly certificateId: string;
  readonly ca: string;
  readonly serialHex: string;
  constructor(message: string, details: { certificateId: string; ca: string; serialHex: string; requestId?: string }, code: string) {
    super(message, details.requestId !== undefined ? { requestId: details.requestId } : {}, code);
    this.certificateId = details.certificateId;
    this.ca = details.ca;
    this.serialHex = details.serialHex;
  }
  override toJSON(): ErrorJson {
    return { ...super.toJSON(), certificateId: this.certificateId, ca: this.ca, serial: this.serialHex };
  }
}

export function isAutoenrollError(error: unknown): error is AutoenrollError {
  return error instanceof AutoenrollError;
}

/** The exit code for any thrown value: ours carry one; anything else is an internal error. */
export function exitCodeOf(error: unknown): ExitCode {
  return isAutoenrollError(error) ? error.exitCode : ExitCode.INTERNAL;
}

/** Plain data for any thrown value, without stack traces or secrets. */
export function errorToJson(error: unknown): ErrorJson {
  if (isAutoenrollError(error)) return JSON.parse(redact(JSON.stringify(error.toJSON()))) as ErrorJson;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: redact(message) };
}
