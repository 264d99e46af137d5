// The policy cache on disk: stateDir/policy/<policyID>.json, one file per policy ID, written
// atomically. A file that cannot be read is ignored with a warning (the next fetch rewrites it):
// a damaged cache must never stop the agent from asking the servers.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from '../store/atomicFile.js';
import { POLICY_CACHE_SCHEMA_VERSION } from './cachedPolicy.js';
import type { CachedPolicyFile } from './cachedPolicy.js';

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
