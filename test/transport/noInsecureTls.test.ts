// The guarantee that client code never turns TLS verification off. Only client code is scanned:
// the lab's server side legitimately configures how *it* verifies client certificates.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const clientDirs = ['src/transport', 'src/engine', 'src/cli', 'src/daemon'];

function sources(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.[cm]?[jt]s$/.test(name) ? [path] : [];
  });
}

const forbidden = [
  /rejectUnauthorized\s*:\s*false/,
  /rejectUnauthorized\s*=\s*false/,
  /NODE_TLS_REJECT_UNAUTHORIZED/,
  /checkServerIdentity\s*[:=]/,
  /insecure\s*:\s*true/,
];

describe('no insecure TLS in client code', () => {
  it('finds client sources to scan', () => {
    expect(sources(join(root, 'src/transport')).length).toBeGreaterThan(5);
  });

  it('never disables certificate or host-name verification in src/transport, src/engine, src/cli or src/daemon', () => {
    const offences: string[] = [];
    for (const dir of clientDirs) {
      for (const file of sources(join(root, dir))) {
        const lines = readFileSync(file, 'utf8').split('\n');
        lines.forEach((line, index) => {
          if (forbidden.some((pattern) => pattern.test(line))) offences.push(`${relative(root, file)}:${index + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offences).toEqual([]);
  });

  it('would notice an offence (the patterns match what they must)', () => {
    expect(forbidden.some((pattern) => pattern.test('tls.connect({ rejectUnauthorized: false })'))).toBe(true);
    expect(forbidden.some((pattern) => pattern.test("process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'"))).toBe(true);
  });
});
