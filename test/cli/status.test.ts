// `autoenroll status`: rows from the stored state and cached policy, planned as the service plans
// them, against certificates really enrolled from the lab.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/statusView.js';
import { pemDecode } from '../../src/pki/pem.js';
import { cli, CES_USERNAME, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

const rows = (out: string) => JSON.parse(out) as StatusRow[];

describe('autoenroll status', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  let config: string;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
    config = env.writeConfig('status', [
      { id: 'web', template: 'TestInstant' },
      { id: 'held', template: 'TestPending' },
      { id: 'later', template: 'TestInstant' },
    ]);
    expect((await cli(['--config', config, 'enroll', '--id', 'web'], vars)).code).toBe(0);
    expect((await cli(['--config', config, 'enroll', '--id', 'held'], vars)).code).toBe(5);
  });
  afterAll(async () => env?.close());

  it('prints one JSON object per configured certificate with the fields of cli.md', async () => {
    const result = await cli(['--config', config, '--json', 'status'], vars);
    expect(result.code, result.err).toBe(0);
    const [web, held, later] = rows(result.out);
    const certDer = pemDecode(readFileSync(join(dirname(config), 'out/web.pem'), 'utf8'), 'CERTIFICATE')[0]!;
    expect(web).toMatchObject({
      id: 'web',
      state: 'VALID',
      template: 'TestInstant',
      subject: 'CN=web.lab.test',
      thumbprint: createHash('sha1').update(certDer).digest('hex').toUpperCase(),
      pendingRequestId: null,
      endpoint: env.lab.endpoint(CES_USERNAME).url,
      lastError: null,
      generation: 1,
      next: 'wait/before-renewal',
    });
    expect(web!.serial).toMatch(/^[0-9A-F]+$/);
    const notBefore = Date.parse(web!.notBefore!);
    const notAfter = Date.parse(web!.notAfter!);
    const renewAt = Date.parse(web!.renewAt!);
    // 3600 s lifetime, 600 s renewal period: the slot lies inside the last 600 s.
    expect(notAfter - notBefore).toBeGreaterThan(3500_000);
    expect(renewAt).toBeGreaterThanOrEqual(notAfter - 600_000);
    expect(renewAt).toBeLessThan(notAfter);
    expect(web!.nextAt).toBe(web!.renewAt);

    expect(held).toMatchObject({ id: 'held', state: 'PENDING', pendingRequestId: expect.stringMatching(/^\d+$/), thumbprint: null, generation: null });
    expect(later).toMatchObject({ id: 'later', state: 'NEW', serial: null, thumbprint: null, notBefore: null, notAfter: null, renewAt: null, generation: null, lastError: null, next: 'enroll/no-certificate' });
    for (const row of [web, held, later]) {
      expect(Object.keys(row!)).toEqual(expect.arrayContaining(['id', 'state', 'template', 'subject', 'serial', 'thumbprint', 'notBefore', 'notAfter', 'renewAt', 'pendingRequestId', 'endpoint', 'lastError', 'generation']));
    }
  });

  it('shows a denied request with its HRESULT in lastError', async () => {
    const before = rows((await cli(['--config', config, '--json', 'status', '--id', 'held'], vars)).out)[0]!;
    await env.lab.deny(before.pendingRequestId!);
    expect((await cli(['--config', config, 'retrieve', '--id', 'held'], vars)).code).toBe(2);
    const after = rows((await cli(['--config', config, '--json', 'status', '--id', 'held'], vars)).out);
    expect(after).toHaveLength(1);
    expect(after[0]!.lastError).toMatchObject({ code: expect.any(String), hresult: expect.any(Number) });
    const table = await cli(['--config', config, 'status'], vars);
    expect(table.out).toMatch(/held: last error \[[A-Z_]+\] \(HRESULT 0x8[0-9A-F]{7}\)/);
  });

  it('prints a readable table by default', async () => {
    const result = await cli(['--config', config, 'status'], vars);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+TEMPLATE\s+SUBJECT\s+NOT AFTER\s+RENEW AT\s+GEN\s+THUMBPRINT/);
    expect(result.out).toMatch(/web\s+VALID\s+TestInstant\s+CN=web\.lab\.test\s+\S+Z \(in 5\dm[^)]*\)\s+\S+Z \(in \d+m[^)]*\)\s+1\s+[0-9A-F]{40}/);
    expect(result.out).toMatch(/later\s+NEW\s+TestInstant/);
  });

  it('refuses an unknown --id with exit 4', async () => {
    const result = await cli(['--config', config, 'status', '--id', 'nope'], vars);
    expect(result.code).toBe(4);
    expect(result.err).toContain('no certificate with id "nope"');
  });

  it('still lists the others when one certificate state cannot be read', async () => {
    const other = env.writeConfig('status-broken', [{ id: 'a', template: 'TestInstant' }, { id: 'b', template: 'TestInstant' }]);
    expect((await cli(['--config', other, 'enroll'], vars)).code).toBe(0);
    writeFileSync(join(dirname(other), 'state/certs/a/state.json'), '{ not json');
    const result = await cli(['--config', other, '--json', 'status'], vars);
    expect(result.code).toBe(0);
    const [a, b] = rows(result.out);
    expect(a).toMatchObject({ id: 'a', state: 'NEEDS_ATTENTION', lastError: { code: 'STATE_CORRUPT' } });
    expect(b).toMatchObject({ id: 'b', state: 'VALID', generation: 1 });
  });

  it('reports NEW for every certificate when nothing was ever stored, creating nothing', async () => {
    const fresh = env.writeConfig('status-fresh', [{ id: 'x', template: 'TestInstant' }]);
    const result = await cli(['--config', fresh, '--json', 'status'], {});
    expect(result.code, result.err).toBe(0);
    expect(rows(result.out)).toEqual([expect.objectContaining({ id: 'x', state: 'NEW', lastError: null })]);
    expect(() => readFileSync(join(dirname(fresh), 'state/certs/x/state.json'))).toThrow();
  });

  it.skipIf(!existsSync('dist/main.js'))('the built bundle prints the same rows as a process of its own', async () => {
    // An action due now is due at "now", which differs between the two runs.
    const stable = (list: StatusRow[]) => list.map((r) => (r.next.startsWith('wait/') ? r : { ...r, nextAt: null }));
    const inProcess = rows((await cli(['--config', config, '--json', 'status'], vars)).out);
    const out = execFileSync(process.execPath, ['bin/autoenroll.js', '--config', config, '--json', 'status'], { encoding: 'utf8' });
    expect(stable(rows(out))).toEqual(stable(inProcess));
  });
});
