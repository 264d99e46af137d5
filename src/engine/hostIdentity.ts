// The host identity the agent plans with. It seeds the per-host renewal slot, so the agent and
// `status`/`plan` must compute it the same way; it lives alone, free of dependencies, so that
// `status` can use it without loading the agent (undici, pkijs, saxes).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const MACHINE_ID_FILES: readonly string[] = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

/** Stable host identity: the first non-empty machine id of `candidates`, else the host name. */
export function hostIdentity(candidates: readonly string[] = MACHINE_ID_FILES): string {
  for (const file of candidates) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      if (id !== '') return id;
    } catch {
      // next candidate
    }
  }
  return hostname();
}
