// What `autoenroll lab` hands a learner: durations in words ("1 year", "6 weeks"), a configuration
// for its own endpoints that works as printed, and the pointer file that lets `lab approve` find a
// lab started with another --dir.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabEndpoint } from './labEndpoints.js';

const UNITS: [number, string][] = [
  [365 * 86_400, 'year'],
  [7 * 86_400, 'week'],
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** 31536000 → "1 year", 3628800 → "6 weeks", 187200 → "2 days 4 hours", 40 → "40 seconds". */
export function humanDuration(seconds: number): string {
  if (seconds <= 0) return '0 seconds';
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const [size, name] of UNITS) {
    if (left >= size && parts.length < 2) {
      const n = Math.floor(left / size);
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      left -= n * size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join(' ');
}

/** A configuration for this lab: both policy servers, the trust bundle, one certificate of `template`. */
export function labConfig(lab: { endpoints: readonly LabEndpoint[]; trustBundlePath: string; users: readonly { username: string }[] }, template: string): Record<string, unknown> {
  const cep = lab.endpoints.filter((e) => e.kind === 'cep');
  const user = lab.users[0];
  return {
    stateDir: './state',
    trust: { caFile: lab.trustBundlePath },
    policyServers: cep.map((e) =>
      e.auth === 'username'
        ? { url: e.url, auth: 'username', priority: e.priority, username: user?.username ?? 'LAB\\enroll', password: { env: 'AUTOENROLL_PASSWORD' } }
        : { url: e.url, auth: 'certificate', priority: e.priority },
    ),
    certificates: [{ id: 'machine', template, subject: 'CN=ws01.lab.test', dns: ['ws01.lab.test'], output: { cert: './out/machine.pem', key: './out/machine.key', chain: './out/chain.pem' } }],
    schedule: { interval: '1m', jitter: '5s' },
  };
}

export const labConfigYaml = (config: Record<string, unknown>): string => stringify(config);

/** Where a running lab says which folder it serves from (for `lab approve` without --dir). */
export const RUNNING_LAB_FILE = join(tmpdir(), 'autoenroll-lab-running.json');

/** The folder of the lab that runs now, per RUNNING_LAB_FILE, when its process is alive. */
export function runningLabDir(): string | null {
  try {
    const { dir, pid } = JSON.parse(readFileSync(RUNNING_LAB_FILE, 'utf8')) as { dir?: unknown; pid?: unknown };
    if (typeof dir !== 'string' || typeof pid !== 'number') return null;
    process.kill(pid, 0);
    return dir;
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') {
      try {
        return (JSON.parse(readFileSync(RUNNING_LAB_FILE, 'utf8')) as { dir: string }).dir;
      } catch {
        return null;
      }
    }
    return null;
  }
}
