// The policy cache on disk: stateDir/policy/<policyID>.json, one file per policy ID, written
// atomically. A file that cannot be read is ignored with a warning (the next fetch rewrites it):
// a damaged cache must never stop the agent from asking the servers.
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from '../store/atomicFile.js';
import { POLICY_CACHE_SCHEMA_VERSION } from './cachedPolicy.js';
import type { CachedPolicyFile } from './cachedPolicy.js';
import type { PolicyFreshnessView } from './plannerTypes.js';

export function policyDir(stateDir: string): string {
  return path.join(stateDir, 'policy');
}

/** Policy IDs are GUIDs in practice; anything else is made file-name safe and kept unique. */
export function policyFileName(policyId: string): string {
  const plain = policyId.replace(/^\{|\}$/g, '');
  if (/^[A-Za-z0-9._-]{1,100}$/.test(plain) && plain !== '.' && plain !== '..') return `${plain}.json`;
  const safe = plain.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return `${safe}-${createHash('sha256').update(policyId).digest('hex').slice(0, 16)}.json`;
}

export async function readPolicyCache(stateDir: string, logger: Logger): Promise<CachedPolicyFile[]> {
  const dir = policyDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: CachedPolicyFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      const data = await readJsonFile<CachedPolicyFile>(file);
      if (data === null) continue;
      if (data.schemaVersion !== POLICY_CACHE_SCHEMA_VERSION || typeof data.policyId !== 'string' || !Array.isArray(data.sources)) {
        logger.warn('policy.cache_ignored', { file, reason: 'unknown schema' });
        continue;
      }
      files.push(data);
    } catch (error) {
      logger.warn('policy.cache_ignored', { file, reason: (error as Error).message });
    }
  }
  return files;
}

export async function writePolicyCache(stateDir: string, file: CachedPolicyFile): Promise<void> {
  await ensureDir(policyDir(stateDir));
  await writeJsonAtomic(path.join(policyDir(stateDir), policyFileName(file.policyId)), file, { mode: 0o644 });
}

/**
 * stateDir/policy-attempts.json: refreshes that failed on every server while nothing is cached
 * yet (a cached policy file counts its own failures). It tells a fresh install, whose first pass
 * has not run (NEW), from one whose passes could not get a policy (NEEDS_ATTENTION), and paces
 * the retries; the first good fetch removes it.
 */
export interface PolicyAttempts {
  schemaVersion: 1;
  consecutiveFailures: number;
  /** ISO 8601. */
  lastAttemptAt: string;
  lastError: { code: string; message: string } | null;
}

/** How the planner sees failed attempts while nothing is cached (null: never tried). */
export function attemptsFreshness(attempts: PolicyAttempts | null, manual: boolean): PolicyFreshnessView | null {
  if (!attempts) return null;
  // A one-shot command is not held back by the retry backoff, but still knows a pass has tried.
  if (manual) return {};
  return { consecutiveFailures: attempts.consecutiveFailures, lastAttemptAtMs: Date.parse(attempts.lastAttemptAt) };
}

export function policyAttemptsPath(stateDir: string): string {
  return path.join(stateDir, 'policy-attempts.json');
}

/** The record, or null when there is none; a damaged one is ignored (it only paces retries). */
export async function readPolicyAttempts(stateDir: string, logger: Logger): Promise<PolicyAttempts | null> {
  try {
    const data = await readJsonFile<Partial<PolicyAttempts>>(policyAttemptsPath(stateDir));
    if (data === null) return null;
    if (data.schemaVersion !== 1 || typeof data.consecutiveFailures !== 'number' || typeof data.lastAttemptAt !== 'string' || Number.isNaN(Date.parse(data.lastAttemptAt))) {
      logger.warn('policy.attempts_ignored', { file: policyAttemptsPath(stateDir), reason: 'unknown schema' });
      return null;
    }
    return { schemaVersion: 1, consecutiveFailures: data.consecutiveFailures, lastAttemptAt: data.lastAttemptAt, lastError: data.lastError ?? null };
  } catch (error) {
    logger.warn('policy.attempts_ignored', { file: policyAttemptsPath(stateDir), reason: (error as Error).message });
    return null;
  }
}

export async function recordPolicyFailure(stateDir: string, previous: PolicyAttempts | null, nowMs: number, error: { code: string; message: string }): Promise<PolicyAttempts> {
  const next: PolicyAttempts = {
    schemaVersion: 1,
    consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
    lastAttemptAt: new Date(nowMs).toISOString(),
    lastError: { code: error.code, message: error.message },
  };
  await ensureDir(stateDir);
  await writeJsonAtomic(policyAttemptsPath(stateDir), next, { mode: 0o644 });
  return next;
}

export async function clearPolicyAttempts(stateDir: string): Promise<void> {
  await rm(policyAttemptsPath(stateDir), { force: true });
}
