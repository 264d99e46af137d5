// The service loop: decides WHEN a pass runs, never what it does. A pass runs at start, then every
// schedule interval (plus random jitter), at the planner's next wake instant (renewal instants,
// retry times, pending polls — the planner computes them; this loop only sleeps until the earliest),
// on `pulse` and after a config reload. Between events it sleeps on the Clock (capped slices, no
// polling). stop() lets the in-flight pass reach a safe point (its signal is aborted) and starts
// nothing new.
import { errorToJson, exitCodeOf } from '../errors.js';
import type { ErrorJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from './clock.js';

/** Why a pass runs. 'pulse' is a manual trigger; the others are the service's own scheduled passes. */
export type PassReason = 'start' | 'interval' | 'wake' | 'pulse' | 'reload';

export interface PassRequest {
  reason: PassReason;
  /** Aborted when the service stops: the pass finishes its current step and returns. */
  signal: AbortSignal;
}

/** What the scheduler needs back from a pass. */
export interface PassReport {
  /** Exit code a one-shot command would return for this pass (0 = fine, 5 = pending, 6 = hook failed…). */
  exitCode: number;
  /** The earliest instant the planner wants the service awake again; null: only the interval. */
  nextWakeAtMs: number | null;
  /** The pass result as plain data (printed by `pulse --wait`). */
  result: unknown;
  error?: ErrorJson;
}

export interface ScheduleTiming {
  intervalMs: number;
  jitterMs: number;
}

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  runPass(request: PassRequest): Promise<PassReport>;
  /** Current interval and jitter (read again after each reload). */
  timing(): ScheduleTiming;
  /** Re-reads the configuration (SIGHUP). A failure keeps the old configuration. */
  reload?(): Promise<void>;
  /** Uniform [0, 1); default Math.random (jitter is not a secret). */
  random?: () => number;
  /** Floor between a pass and a planner-triggered one, so a plan that is always "due" cannot spin (default 1 s). */
  minWakeGapMs?: number;
  /** First retry after a pass that threw; doubles per consecutive failure up to the interval (default 60 s). */
  passErrorRetryMs?: number;
}

export type SchedulerPhase = 'starting' | 'sleeping' | 'running' | 'stopping' | 'stopped';

export interface LastPass {
  reason: PassReason;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  error?: ErrorJson;
}

export interface SchedulerState {
  phase: SchedulerPhase;
  passes: number;
  currentPass: { reason: PassReason; startedAt: string } | null;
  lastPass: LastPass | null;
  /** ISO instants the loop will wake for. */
  nextIntervalAt: string | null;
  nextPlannedWakeAt: string | null;
  nextWakeAt: string | null;
}

interface PulseWaiter {
  resolve(report: PassReport): void;
  reject(error: Error): void;
}

export class Scheduler {
  private phase: SchedulerPhase = 'starting';
  private stopping = false;
  private reloadRequested = false;
  private pulseWaiters: PulseWaiter[] = [];
  private pulseRequested = false;
  private wakeup = new AbortController();
  private passController: AbortController | null = null;
  private nextIntervalAtMs: number | null = null;
  private plannerWakeAtMs: number | null = null;
  private consecutivePassErrors = 0;
  private passes = 0;
  private currentPass: { reason: PassReason; startedAt: string } | null = null;
  private lastPass: LastPass | null = null;
  private readonly random: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Runs until stop(); resolves once the last pass has returned. */
  async run(): Promise<void> {
    const { clock, logger } = this.options;
    this.nextIntervalAtMs = clock.now();
    let started = false;
    while (!this.stopping) {
      const now = clock.now();
      let reason: PassReason | null = null;
      if (this.reloadRequested) {
        this.reloadRequested = false;
        if (await this.reloadConfig()) reason = 'reload';
      } else if (this.pulseRequested) {
        reason = 'pulse';
      } else if (this.nextIntervalAtMs !== null && now >= this.nextIntervalAtMs) {
        reason = started ? 'interval' : 'start';
      } else if (this.plannerWakeAtMs !== null && now >= this.plannerWakeAtMs) {
        reason = 'wake';
      }
      if (reason === null) {
        await this.sleep();
        continue;
      }
      started = true;
      await this.executePass(reason);
    }
    this.phase = 'stopped';
    for (const waiter of this.pulseWaiters.splice(0)) waiter.reject(new Error('the service stopped before the pass could run'));
    logger.debug('scheduler.stopped', {});
  }

  /** A pass as soon as the current one (if any) is done; resolves with that pass's report. */
  pulse(): Promise<PassReport> {
    if (this.stopping) return Promise.reject(new Error('the service is stopping'));
    this.options.logger.info('pulse.requested', {});
    return new Promise<PassReport>((resolve, reject) => {
      this.pulseWaiters.push({ resolve, reject });
      this.pulseRequested = true;
      this.wakeup.abort();
    });
  }

  /** Re-reads the configuration before the next pass (SIGHUP), then runs a pass with it. */
  requestReload(): void {
    if (this.stopping) return;
    this.reloadRequested = true;
    this.wakeup.abort();
  }

  /** Starts no new pass; the in-flight one is asked to stop at its next safe point. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.phase = 'stopping';
    this.wakeup.abort();
    this.passController?.abort();
  }

  state(): SchedulerState {
    const next = this.nextDueMs();
    return {
      phase: this.phase,
      passes: this.passes,
      currentPass: this.currentPass,
      lastPass: this.lastPass,
      nextIntervalAt: iso(this.nextIntervalAtMs),
      nextPlannedWakeAt: iso(this.plannerWakeAtMs),
      nextWakeAt: iso(Number.isFinite(next) ? next : null),
    };
  }

  private nextDueMs(): number {
    return Math.min(this.nextIntervalAtMs ?? Number.POSITIVE_INFINITY, this.plannerWakeAtMs ?? Number.POSITIVE_INFINITY);
  }

  private async sleep(): Promise<void> {
    const { clock, logger } = this.options;
    const target = this.nextDueMs();
    this.wakeup = new AbortController();
    // A request that arrived while the previous iteration ran must not be lost by the fresh controller.
    if (this.stopping || this.pulseRequested || this.reloadRequested) return;
    this.phase = 'sleeping';
    logger.debug('scheduler.sleeping', { until: iso(Number.isFinite(target) ? target : null) });
    const outcome = await clock.sleepUntil(Number.isFinite(target) ? target : clock.now() + 86_400_000, this.wakeup.signal);
    if (outcome.kind === 'clock-jump') {
      logger.warn('clock.jumped', { driftMs: outcome.driftMs });
      // Wall time fell behind monotonic time (clock set back): keep the interval measured in real
      // elapsed time. A forward jump or a resume keeps the old instant, so a missed pass runs now.
      if (outcome.driftMs < 0 && this.nextIntervalAtMs !== null) this.nextIntervalAtMs += outcome.driftMs;
    }
  }

  private async reloadConfig(): Promise<boolean> {
    const { logger, reload } = this.options;
    if (!reload) return false;
    try {
      await reload();
      logger.info('service.reloaded', {});
      return true;
    } catch (error) {
      logger.error('service.reload_failed', { error: errorToJson(error) });
      return false;
    }
  }

  private async executePass(reason: PassReason): Promise<void> {
    const { clock, logger } = this.options;
    const waiters = reason === 'pulse' ? this.pulseWaiters.splice(0) : [];
    if (reason === 'pulse') this.pulseRequested = false;
    const controller = new AbortController();
    this.passController = controller;
    const startedMs = clock.now();
    this.phase = 'running';
    this.currentPass = { reason, startedAt: new Date(startedMs).toISOString() };
    this.passes += 1;
    logger.info('pass.started', { reason, pass: this.passes });

    let report: PassReport;
    try {
      report = await this.options.runPass({ reason, signal: controller.signal });
      this.consecutivePassErrors = 0;
    } catch (error) {
      this.consecutivePassErrors += 1;
      report = { exitCode: exitCodeOf(error), nextWakeAtMs: null, result: null, error: errorToJson(error) };
    }
    const finishedMs = clock.now();
    const timing = this.options.timing();
    if (report.error && report.nextWakeAtMs === null) {
      const base = this.options.passErrorRetryMs ?? 60_000;
      const delay = Math.min(timing.intervalMs, base * 2 ** Math.min(this.consecutivePassErrors - 1, 20));
      report = { ...report, nextWakeAtMs: finishedMs + delay };
    }
    this.plannerWakeAtMs =
      report.nextWakeAtMs === null ? null : Math.max(report.nextWakeAtMs, finishedMs + (this.options.minWakeGapMs ?? 1_000));
    if (reason === 'start' || reason === 'interval' || reason === 'reload') {
      this.nextIntervalAtMs = finishedMs + timing.intervalMs + Math.floor(this.random() * timing.jitterMs);
    }
    this.lastPass = {
      reason,
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(finishedMs).toISOString(),
      durationMs: finishedMs - startedMs,
      exitCode: report.exitCode,
      ...(report.error ? { error: report.error } : {}),
    };
    this.currentPass = null;
    this.passController = null;
    const fields = {
      reason,
      pass: this.passes,
      durationMs: finishedMs - startedMs,
      exitCode: report.exitCode,
      nextWakeAt: iso(Math.min(this.nextIntervalAtMs ?? Number.POSITIVE_INFINITY, this.plannerWakeAtMs ?? Number.POSITIVE_INFINITY)),
      ...(report.error ? { error: report.error } : {}),
    };
    if (report.error) logger.error('pass.failed', fields);
    else logger.info('pass.finished', fields);
    for (const waiter of waiters) waiter.resolve(report);
    if (!this.stopping) this.phase = 'sleeping';
  }
}

function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}
