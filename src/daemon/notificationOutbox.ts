// stateDir/notifications.json: the outbox of every sink and the memory of what was announced,
// read and replaced under stateDir/notifications.lock (held only around each read-modify-write,
// never during a delivery), written with the store's atomic helpers (temp file, fsync, rename).
import path from 'node:path';
import { ensureDir, readJsonFile, writeJsonAtomic } from '../store/atomicFile.js';
import { acquireLock } from '../store/lock.js';
import { emptyOutbox, OUTBOX_SCHEMA_VERSION } from './outboxModel.js';
import type { OutboxFile } from './outboxModel.js';

export function outboxPath(stateDir: string): string {
  return path.join(stateDir, 'notifications.json');
}

export async function readOutbox(stateDir: string): Promise<OutboxFile> {
  const file = await readJsonFile<OutboxFile>(outboxPath(stateDir)).catch(() => null);
  if (!file || file.schemaVersion !== OUTBOX_SCHEMA_VERSION) return emptyOutbox();
  return { schemaVersion: OUTBOX_SCHEMA_VERSION, memory: file.memory ?? {}, queues: file.queues ?? {}, dropped: file.dropped ?? {} };
}

/** Runs `change` on the current outbox under the lock and writes the result; resolves to what `change` returned. */
export async function updateOutbox<T>(stateDir: string, change: (file: OutboxFile) => T): Promise<T> {
  await ensureDir(stateDir);
  const release = await acquireLock(path.join(stateDir, 'notifications.lock'), 'the notification outbox', { wait: 10_000 });
  try {
    const file = await readOutbox(stateDir);
    const result = change(file);
    await writeJsonAtomic(outboxPath(stateDir), file, { mode: 0o600 });
    return result;
  } finally {
    await release();
  }
}
