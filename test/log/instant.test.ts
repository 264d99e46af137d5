// One time format in every human message: ISO 8601 UTC to the second with Z. The helper, the
// messages that carry instants, and a scan of the sources for other date renderings.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { humanInstant } from '../../src/log/instant.js';
import { idleVerdict } from '../../src/engine/passOutcome.js';
import { formatInstant } from '../../src/cli/format/time.js';
import type { CertificateAction } from '../../src/engine/plannerTypes.js';

const FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

describe('human time format', () => {
  it('is ISO 8601 UTC to the second with Z', () => {
    expect(humanInstant(Date.UTC(2026, 2, 1, 12, 0, 0, 789))).toBe('2026-03-01T12:00:00Z');
    expect(humanInstant('2026-03-01T12:00:00.123Z')).toMatch(FORMAT);
    expect(formatInstant(Date.UTC(2030, 0, 1))).toBe('2030-01-01T00:00:00Z');
  });

  it('is what the wait messages of a pass use', () => {
    const action = { kind: 'wait', reason: 'before-renewal', untilMs: Date.UTC(2030, 0, 1, 0, 0, 0, 500), certificateId: 'x' } as unknown as CertificateAction;
    const message = idleVerdict(action, null).message ?? '';
    expect(message).toContain('2030-01-01T00:00:00Z');
    expect(message).not.toMatch(/\.\d{3}Z/);
  });

  it('no source renders dates another way (locale, UTC strings, "YYYY-MM-DD HH:MM:SS UTC")', () => {
    const offenders = sources(path.join(import.meta.dirname, '../../src')).filter((file) => /toLocale(Date|Time)?String|toUTCString|toDateString|replace\('T', ' '\)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
