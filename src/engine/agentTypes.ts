// The agent's public shapes: what a pass is asked to do, what it reports, and the seams it is
// built from. The CLI commands (enroll, renew, retrieve, pulse) and the service call
// `createAgent(deps).runPass(options)` and only print or schedule from the PassResult.
import type { Config, HookConfig, SecretRef } from '../config/types.js';
import type { ErrorJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/storeTypes.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import type { CertificateStatus, PlannedStep } from './plannerTypes.js';
import type { AutoenrollReport } from './autoenrollStep.js';

/**
 * 'scheduled' is the service's own timed pass (per-host renewal slot, backoff and poll cadence
 * apply); the others are someone asking now (cli.md commands; 'pulse' also refreshes the policy).
 */
export type PassOperation = 'scheduled' | 'pulse' | 'enroll' | 'renew' | 'retrieve';

export interface PassOptions {
  operation: PassOperation;
  /** Only these certificate ids (config `id`); unknown ids are a usage error. Absent: all. */
  ids?: string[];
  /** `renew --force`: renew now regardless of the renewal window. */
  force?: boolean;
  /** `renew --reuse-key`: renew with the certificate's current key. */
  reuseKey?: boolean;
  /** `enroll --wait`: keep polling a pending request for up to this long (ms). */
  waitPendingMs?: number;
  /** Cancels the pass between steps (service shutdown). */
  signal?: AbortSignal;
  /** Fetch the policy and plan every certificate (policy-driven ones included), but send no request and change no certificate. */
  dryRun?: boolean;
}

/** What the pass did for one certificate. */
export type ActionTaken = 'enroll' | 'retrieve' | 'renew' | 're-enroll' | 'resubmit' | 'reinstall' | 'none';

export type PassOutcome =
  /** A new certificate was installed. */
  | 'issued'
  /** The request is waiting for CA manager approval. */
  | 'pending'
  /** The attempt failed (see `error`). */
  | 'failed'
  /** Nothing was due (the planner said wait, or the command's filter left it alone). */
  | 'nothing-due'
  /** The planner needs a human (see `message`); for an expired certificate `error.code` is EXPIRED. */
  | 'needs-attention';

export interface CertificateResult {
  id: string;
  action: ActionTaken;
  /** The planner's step kind and reason, e.g. "renew/forced", "wait/before-renewal". */
  planned: string;
  outcome: PassOutcome;
  /** Display state after the pass (cli.md `status` states). */
  status: CertificateStatus;
  error: ErrorJson | null;
  /** This certificate's exit code (cli.md); the pass's exitCode aggregates them. */
  exitCode?: number;
  message?: string;
  /** The generation now current, and facts of its certificate. */
  generation: number | null;
  thumbprint: string | null;
  /** Thumbprint of the certificate the new one replaced (renewal / re-enrollment). */
  previousThumbprint: string | null;
  serial: string | null;
  notAfter: string | null;
  /** RequestID of the request sent or polled in this pass. */
  requestId: string | null;
  /** CES URL that served the request of this pass. */
  endpoint: string | null;
  /** ISO 8601: when this certificate next needs attention (renewal, poll, retry), null when never on its own. */
  nextEventAt: string | null;
  renewAt: string | null;
  /** Paths of the output files written in this pass. */
  outputs: string[];
  warnings: string[];
}

export interface PolicyInfo {
  policyId: string | null;
  /** 'server': fetched in this pass; 'cache': the cached copy (fresh, or every CEP down). */
  source: 'server' | 'cache' | 'none';
  /** CEP URL that answered in this pass. */
  endpoint: string | null;
  fetchedAt: string | null;
  nextUpdateAt: string | null;
  /** Why the servers could not be used (the cached copy then served). */
  error: ErrorJson | null;
}

export interface PassResult {
  operation: PassOperation;
  startedAt: string;
  finishedAt: string;
  /** Aggregate exit code (cli.md), by precedence: 4 > 2 > 7 > 3 > 1 > 6 > 5 > 0. */
  exitCode: number;
  policy: PolicyInfo;
  certificates: CertificateResult[];
  /** ISO 8601: the earliest instant anything is due (the service sleeps until then). */
  nextWakeAt: string;
  /** Present for `--dry-run`: nothing was sent or changed. */
  dryRun?: true;
  /** Policy-driven autoenrollment (autoenroll section): one entry per template considered or certificate kept. */
  autoenroll?: { enabled: boolean; entries: AutoenrollReport[] };
}

/** Passed to the deploy hook after a new certificate was installed. */
export interface DeployEvent {
  id: string;
  generation: number;
  certPath: string | null;
  keyPath: string | null;
  chainPath: string | null;
  fullchainPath: string | null;
  pfxPath: string | null;
  oldThumbprint: string | null;
  newThumbprint: string;
  /** ISO 8601. */
  notAfter: string;
  /** The certificate's configured hook commands. */
  hooks: HookConfig;
}

/** Passed to the failure hook after a failed attempt. */
export interface FailureEvent {
  id: string;
  action: ActionTaken;
  error: ErrorJson;
  /** Current certificate, if any (it stays installed). */
  thumbprint: string | null;
  notAfter: string | null;
  hooks: HookConfig;
}

/**
 * Runs the configured hook commands (src/daemon/hooks.ts). `deploy` rejects (ideally with
 * HookFailed) when a command fails; the certificate stays installed and the pass reports exit 6.
 * `failure` errors are logged and otherwise ignored.
 */
export interface AgentHooks {
  deploy(event: DeployEvent): Promise<void>;
  failure(event: FailureEvent): Promise<void>;
}

/** Resolves a secret reference to its value (src/secrets); `what` names it in error messages. */
export type SecretResolver = (ref: SecretRef, what: string) => Promise<string>;

export interface AgentDeps {
  config: Config;
  store: Store;
  /** One client for every CEP/CES call; client certificates are passed per request. */
  httpsClient: HttpsClient;
  resolveSecret: SecretResolver;
  /** Epoch ms. The only clock the engine reads. */
  now: () => number;
  /** Uniform in [0, 1): endpoint shuffling. */
  random: () => number;
  /** Stable host identity (machine id, else hostname). */
  hostId: string;
  logger: Logger;
  hooks?: AgentHooks;
  /** Waits (enroll --wait); default: a timer. Injected by tests with a fake clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Agent {
  runPass(options: PassOptions): Promise<PassResult>;
}

/** Label of a planned step for results and logs. */
export function stepLabel(step: PlannedStep): string {
  return step.kind === 'skip' ? `skip/${stepLabel(step.blocked)}` : `${step.kind}/${step.reason}`;
}
