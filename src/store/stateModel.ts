// What the store keeps per certificate, as plain data. The planner (pure) reads CertificateState
// and the current generation's meta; the executor is the only writer. Times are ISO 8601 strings
// (UTC) so the files stay readable and diffable; serials and thumbprints are upper-case hex.

export const STATE_SCHEMA_VERSION = 1 as const;

export type CertificateStatus =
  | 'NEW'
  | 'PENDING'
  | 'VALID'
  | 'RENEW_DUE'
  | 'BACKING_OFF'
  | 'EXPIRED'
  | 'NEEDS_ATTENTION';

export interface StoredError {
  code: string;
  message: string;
  /** ISO 8601. */
  at: string;
  /** Signed 32-bit HRESULT when the CA denied the request. */
  hresult?: number;
  requestId?: string;
}

/** A request the CA answered with "pending": everything needed to poll for it later, at the same CES. */
export interface PendingMeta {
  /** RequestID exactly as the server sent it (a string, even when it looks numeric). */
  requestId: string;
  caId?: string;
  caThumbprint?: string;
  /** The CES URL that accepted the request; polling goes back there. */
  endpointUrl: string;
  referenceUri?: string;
  /** ISO 8601. */
  submittedAt: string;
  templateOid?: string;
  templateName: string;
  kind: 'enroll' | 'renew';
  auth: 'username' | 'certificate' | 'kerberos';
}

/**
 * Written durably just before a request is sent. If it is still there at the next start (and no
 * pending meta replaced it), the process died between sending and recording the answer: the
 * request DER and key beside it let the executor decide without blindly submitting a second time.
 */
export interface SubmissionRecord {
  /** SHA-256 (lower-case hex) of the request DER. */
  requestDigest: string;
  endpointUrl: string;
  /** ISO 8601. */
  startedAt: string;
  templateName: string;
  kind: 'enroll' | 'renew';
  auth: 'username' | 'certificate' | 'kerberos';
}

/**
 * The CES's answer to the request recorded in pending/ (a certificate, "pending", or the CA's
 * denial), saved before anything is done with it. A crash between receiving the answer and
 * recording its effect is then finished from this copy at the next start, without sending the
 * request again (a second Issue would be a second request at the CA).
 */
export interface AnswerRecord {
  /** SHA-256 (lower-case hex) of the request DER in pending/request.der that this answers. */
  requestDigest: string;
  /** issue: the answer to the submission; query: the answer to a QueryTokenStatus poll. */
  operation: 'issue' | 'query';
  /** The CES URL that answered. */
  endpointUrl: string;
  caId?: string;
  auth: 'username' | 'certificate' | 'kerberos';
  /** HTTP status the body came with (a SOAP fault arrives with 500). */
  httpStatus: number;
  /** ISO 8601. */
  receivedAt: string;
}

/** pending/answer.json: the record and the SOAP body exactly as received. */
export interface SavedAnswer {
  record: AnswerRecord;
  body: string;
}

/** The planner's input. Small on purpose; the certificate itself lives in generations. */
export interface CertificateState {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  id: string;
  /** Last computed status, for display only (the planner recomputes it). */
  status?: CertificateStatus;
  /** ISO 8601 of the last attempt (success or not). */
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  /** Failed attempts since the last success; drives backoff. */
  consecutiveFailures: number;
  /** ISO 8601: no attempt before this instant (backoff / pending poll), unless forced. */
  nextAttemptAt?: string;
  lastError?: StoredError | null;
  /** URL that served the last request. */
  lastEndpoint?: string;
  /** Mirror of the pending request's meta (the authoritative copy is pending/meta.json). */
  pending?: PendingMeta | null;
  /** Policy the certificate was last planned from. */
  policyId?: string;
  /** A generation whose deploy hook has not run to success yet (see DeployPending). */
  deployPending?: DeployPending | null;
}

/**
 * Written durably before the output files of a new generation are installed, cleared once its
 * deploy hook succeeded. While it names the current generation, the start of every turn runs the
 * deploy hook again: a process killed between the output files and the hook, or a hook that
 * failed, does not leave the consumers serving the old certificate. Only certificates with a
 * deploy hook configured ever have one.
 */
export interface DeployPending {
  generation: number;
  /** Thumbprint the consumers held before (AUTOENROLL_OLD_THUMBPRINT); null for a first certificate. */
  previousThumbprint: string | null;
  /** ISO 8601: when the deploy became due. */
  at: string;
  /** Failed runs of the deploy hook for this generation so far. */
  failures: number;
}

export function emptyState(id: string): CertificateState {
  return { schemaVersion: STATE_SCHEMA_VERSION, id, consecutiveFailures: 0 };
}

export interface GenerationMeta {
  /** SHA-1 of the certificate DER, upper-case hex (like Windows). */
  thumbprintSha1: string;
  serialHex: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  subject?: string;
  issuer?: string;
  templateOid?: string;
  templateName?: string;
  requestId?: string;
  /** CES URL that issued it. */
  endpoint?: string;
  /** ISO 8601. */
  createdAt: string;
  /** True when this generation kept the previous generation's key. */
  keyReused: boolean;
}

/** One committed generation: key + certificate + chain, immutable once written. */
export interface Generation {
  number: number;
  /** Absolute path of the generation's folder. */
  dir: string;
  keyPem: string;
  certPem: string;
  /** Issuing CA certificates (PEM, may be empty). */
  chainPem: string;
  meta: GenerationMeta;
}

export interface GenerationSummary {
  number: number;
  dir: string;
  meta: GenerationMeta;
  current: boolean;
  /** Moved to certs/<id>/archive (not a rollback target without restoring). */
  archived: boolean;
}

export interface NewGeneration {
  keyPem: string;
  certPem: string;
  chainPem: string;
  meta: GenerationMeta;
}

export interface PendingRecord {
  requestDer: Uint8Array;
  keyPem: string;
  meta: PendingMeta;
}

export interface SubmittingRecord {
  requestDer: Uint8Array;
  keyPem: string;
  record: SubmissionRecord;
}

/** certs/<id>/outputs.json: which generation the output files were last installed from. */
export interface OutputsMarker {
  generation: number;
  /** ISO 8601. */
  installedAt: string;
  paths: string[];
}

/** What recover() found and did for one certificate. */
export interface RecoveryReport {
  id: string;
  /** Leftover temporary files/folders deleted. */
  removedTemps: string[];
  /** The `current` pointer was missing, dangling or behind a complete newer generation and was rewritten. */
  pointerFixed: { from: number | null; to: number | null } | null;
  /** pending/ named the request of the current generation (the crash came after the commit): cleared. */
  pendingCleared: boolean;
  /** submitting.json is present without pending meta: a request may have reached the server. */
  submissionInFlight: boolean;
  /** The output files were installed from an older generation than the current one (reinstall them). */
  outputsStale: boolean;
  /** The current generation after the repair (null: none), so the caller need not resolve the pointer again. */
  currentNumber: number | null;
  /** One line per action, for logs. */
  actions: string[];
}
