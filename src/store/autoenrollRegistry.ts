// stateDir/autoenroll.json: the identity of the certificates the autoenroll section manages — which
// template each came from, whether it was superseded (and by which certificate), and why one is
// no longer renewed. The derivation (engine/autoenrollment.ts) decides; this file only keeps it,
// written atomically like every other state file.
import path from 'node:path';
import { InputError } from '../errors.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from './atomicFile.js';

export const AUTOENROLL_REGISTRY_SCHEMA_VERSION = 1 as const;

/** Why a policy-driven certificate is kept but no longer renewed. */
export type AutoenrollStopReason =
  | 'template-not-in-policy'
  | 'autoenroll-not-granted'
  | 'denied-by-config'
  | 'explicit'
  | 'autoenroll-disabled';

export interface AutoenrollRecord {
  /** Certificate id (folder under certs/). */
  id: string;
  /** Template common name it was enrolled from. */
  template: string;
  templateOid: string | null;
  /** ISO 8601: first managed. */
  since: string;
  /** active: renewed like a configured certificate; superseded: replaced by successorId; stopped: kept until expiry. */
  state: 'active' | 'superseded' | 'stopped';
  stopReason?: AutoenrollStopReason;
  /** Template whose supersededPolicies lists this one. */
  supersededBy?: string;
  /** The certificate id enrolled on that template. */
  successorId?: string;
  /** ISO 8601 of the last state change. */
  changedAt?: string;
  /** ISO 8601: the successor holds a certificate, this one is archived (never renewed again). */
  archivedAt?: string;
}

export interface AutoenrollRegistry {
  schemaVersion: typeof AUTOENROLL_REGISTRY_SCHEMA_VERSION;
  records: AutoenrollRecord[];
}

export function autoenrollRegistryPath(stateDir: string): string {
  return path.join(stateDir, 'autoenroll.json');
}

/** The records, or none when the file does not exist yet. */
export async function readAutoenrollRegistry(stateDir: string): Promise<AutoenrollRecord[]> {
  const file = autoenrollRegistryPath(stateDir);
  const data = await readJsonFile<AutoenrollRegistry>(file);
  if (data === null) return [];
  if (data.schemaVersion !== AUTOENROLL_REGISTRY_SCHEMA_VERSION || !Array.isArray(data.records)) {
    throw new InputError(`${file} has schema version ${String(data.schemaVersion)}, expected ${AUTOENROLL_REGISTRY_SCHEMA_VERSION}`, 'STATE_SCHEMA');
  }
  return data.records;
}

export async function writeAutoenrollRegistry(stateDir: string, records: readonly AutoenrollRecord[]): Promise<void> {
  const registry: AutoenrollRegistry = { schemaVersion: AUTOENROLL_REGISTRY_SCHEMA_VERSION, records: [...records] };
  await ensureDir(stateDir);
  await writeJsonAtomic(autoenrollRegistryPath(stateDir), registry, { mode: 0o600 });
}
