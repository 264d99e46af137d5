// The agent, status and plan all take the host identity from this one function; these pin the
// order it reads its sources in.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostIdentity } from '../../src/engine/hostIdentity.js';

describe('hostIdentity', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostid-'));
    await writeFile(path.join(dir, 'empty'), '\n');
    await writeFile(path.join(dir, 'second'), '0123456789abcdef0123456789abcdef\n');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('takes the first non-empty machine id, trimmed, skipping missing and empty files', () => {
    expect(hostIdentity([path.join(dir, 'missing'), path.join(dir, 'empty'), path.join(dir, 'second')])).toBe('0123456789abcdef0123456789abcdef');
  });

  it('falls back to the host name when no machine id can be read', () => {
    expect(hostIdentity([path.join(dir, 'missing'), path.join(dir, 'empty')])).toBe(hostname());
  });
});
