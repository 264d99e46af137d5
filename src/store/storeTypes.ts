// The Store seam: the only code that writes under stateDir. Tests use the real implementation on
// a temporary folder (the crash tests need real files).
import type { OutputConfig } from '../config/types.js';
import type {
  CertificateState,
  Generation,
  GenerationMeta,
  GenerationSummary,
  NewGeneration,
  OutputsMarker,
  PendingMeta,
  PendingRecord,
  RecoveryReport,
  SavedAnswer,
  SubmissionRecord,
  SubmittingRecord,
} from './stateModel.js';

/** Releases a lock; idempotent. */
export type Release = () => Promise<void>;

export interface LockOptions {
  /** Keep trying for this long (ms) before failing with STATE_LOCKED (default 0: fail at once). */
  wait?: number;
}

export interface InstalledOutputs {
  generation: number;
  /** Absolute paths written, in order. */
  paths: string[];
}

export interface CertificateStore {
  readonly id: string;
  /** stateDir/certs/<id> */
  readonly dir: string;

  readState(): Promise<CertificateState | null>;
  writeState(state: CertificateState): Promise<void>;

  /** The generation the `current` pointer names, fully read; null when there is none. */
  current(): Promise<Generation | null>;
  /** Only the pointer and meta.json (what `status` needs). */
  currentMeta(): Promise<{ number: number; meta: GenerationMeta } | null>;
  generation(number: number): Promise<Generation | null>;
  /** Writes a new generation durably, then flips `current` to it. The previous ones are kept. */
  commitGeneration(input: NewGeneration): Promise<Generation>;
  /** Every generation (live and archived), oldest first. */
  listGenerations(): Promise<GenerationSummary[]>;
  /** Moves a non-current generation to certs/<id>/archive. */
  archive(number: number): Promise<void>;
  /** Moves every live generation except `currentNumber` (read by the caller under the lock) to the archive; the numbers moved. */
  archiveAllBut(currentNumber: number): Promise<number[]>;
  /** Points `current` at an older generation (restored from the archive if needed); newer ones are archived. */
  rollback(number: number): Promise<Generation>;

  /** Before sending a request: its DER, its key and a digest, durably. */
  writeSubmitting(input: { requestDer: Uint8Array; keyPem: string; record: SubmissionRecord }): Promise<void>;
  readSubmitting(): Promise<SubmittingRecord | null>;
  clearSubmitting(): Promise<void>;
  /** After a "pending" answer and before acting on it: request, key and meta, durably (replaces submitting). */
  writePending(input: { requestDer: Uint8Array; keyPem: string; meta: PendingMeta }): Promise<void>;
  readPending(): Promise<PendingRecord | null>;
  /** Removes pending/ (request, key, meta, submitting, answer) durably. */
  clearPending(): Promise<void>;
  /**
   * As soon as a CES answer arrives and before acting on it: the answer, durably, beside the
   * request it answers (pending/request.der must hold the request whose digest it names).
   * `requestDigestOnDisk`: the digest of the request.der the caller wrote or read under the lock;
   * when it is the answer's, the file is not read back to check it.
   */
  writeAnswer(answer: SavedAnswer, options?: { requestDigestOnDisk?: string }): Promise<void>;
  /** The saved answer to the request in pending/; null when there is none or it answers another request. */
  readAnswer(): Promise<SavedAnswer | null>;
  /** Forgets a saved answer (the request record stays). */
  clearAnswer(): Promise<void>;

  /** Writes each configured output file atomically from a committed generation, then records it. */
  installOutputs(generation: Generation, outputs: OutputConfig, pfx?: { bytes: Uint8Array }): Promise<InstalledOutputs>;
  readOutputsMarker(): Promise<OutputsMarker | null>;

  /** At start: deletes temp leftovers, repairs the pointer, clears a pending already committed. */
  recover(outputs?: OutputConfig): Promise<RecoveryReport>;
}

export interface Store {
  readonly stateDir: string;
  certificate(id: string): CertificateStore;
  /** Ids that have a folder under certs/. */
  listCertificateIds(): Promise<string[]>;
  /** One writer per certificate across processes. */
  lock(id: string, options?: LockOptions): Promise<Release>;
  /** One pass runner (pulse/run) per state dir. */
  lockAll(options?: LockOptions): Promise<Release>;
}
