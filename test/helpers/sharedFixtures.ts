// Access to ../shared/fixtures (captures from real servers and third-party test vectors).
// They are never copied into this repository: tests read them in place and skip, with a printed
// reason, on a plain clone where ../shared is absent.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedFixturesDir = resolve(repoRoot, '..', 'shared', 'fixtures');
export const hasSharedFixtures = existsSync(sharedFixturesDir);

if (!hasSharedFixtures) {
  console.warn(`[skip] ${sharedFixturesDir} is absent: tests on real-server captures are skipped`);
}

export function sharedFixturePath(...parts: string[]): string {
  return join(sharedFixturesDir, ...parts);
}

export function readSharedFixture(...parts: string[]): Buffer {
  return readFileSync(sharedFixturePath(...parts));
}

export function readSharedFixtureText(...parts: string[]): string {
  return readSharedFixture(...parts).toString('utf8');
}
