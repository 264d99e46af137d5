// Deterministic, uniformly distributed fractions from identifiers. They replace per-process random
// draws wherever the result must be the same in every process that plans (the service, `status`,
// `plan --at`) and on every re-plan, yet differ from host to host across a fleet.
import { createHash } from 'node:crypto';

const TWO_POW_48 = 2 ** 48;

/**
 * A fraction in [0, 1) from SHA-256 of the parts (NUL-separated, so ("a","bc") ≠ ("ab","c")).
 * 48 bits of the digest give a resolution far finer than any millisecond window.
 */
export function uniformFraction(...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256').update(parts.map(String).join('\u0000')).digest();
  return digest.readUIntBE(0, 6) / TWO_POW_48;
}

/**
 * The per-host position of a certificate's renewal inside the spread part of its window
 * (protocol.md §6.1: a fleet must not renew in lockstep). Stable for a host and certificate id
 * across generations and restarts.
 */
export function hostOffset(hostId: string, certificateId: string): number {
  return uniformFraction('host-offset', hostId, certificateId);
}
