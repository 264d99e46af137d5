// The agent's memory of endpoints that just failed (transport/circuitBreaker.ts), shared by the
// CEP and CES failover of a pass and kept in stateDir/endpoints.json between processes, so the
// next attempt — the next one-shot command, the service after a restart — does not start with a
// dead endpoint. It is only a hint for the order: a damaged or unreadable file means starting
// with an empty memory (logged), and a failed write only costs that hint.
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from '../store/atomicFile.js';
import { CircuitBreaker } from '../transport/circuitBreaker.js';

export function endpointsFile(stateDir: string): string {
  return path.join(stateDir, 'endpoints.json');
}

export async function loadEndpointMemory(stateDir: string, logger: Logger): Promise<CircuitBreaker> {
  const file = endpointsFile(stateDir);
  try {
    const data = await readJsonFile<unknown>(file);
    return data === null ? new CircuitBreaker() : CircuitBreaker.fromJSON(data);
  } catch (error) {
    logger.warn('endpoints.memory_ignored', { file, reason: (error as Error).message });
    return new CircuitBreaker();
  }
}

/** Writes the memory atomically when it differs from `previous` (the JSON last read or written); returns the JSON now on disk. */
export async function saveEndpointMemory(stateDir: string, breaker: CircuitBreaker, previous: string | null, logger: Logger): Promise<string | null> {
  const json = JSON.stringify(breaker.toJSON());
  if (json === previous) return previous;
  try {
    await ensureDir(stateDir);
    await writeJsonAtomic(endpointsFile(stateDir), breaker.toJSON(), { mode: 0o644 });
    return json;
  } catch (error) {
    logger.warn('endpoints.memory_write_failed', { file: endpointsFile(stateDir), message: (error as Error).message });
    return previous;
  }
}
