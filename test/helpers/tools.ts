// External tools the tests use to check our output independently (openssl and friends).
import { spawnSync } from 'node:child_process';

export function hasTool(command: string, args: string[] = ['version']): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

export const hasOpenssl = hasTool('openssl');
if (!hasOpenssl) console.warn('[skip] openssl is not installed: the openssl cross-checks are skipped');

/** Runs openssl with the given arguments and optional stdin; returns stdout, stderr and status. */
export function openssl(args: string[], input?: Buffer | string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
