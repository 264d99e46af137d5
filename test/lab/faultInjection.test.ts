// Per-endpoint fault injection on real sockets, extra CES instances with their own listeners and
// priorities, and the JSON-lines request log that tests of the agent use as a witness.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { parseWstepResponse } from '../../src/protocol/wstepResponse.js';
import { getPoliciesXml, post, queryXml } from './rawClient.js';

const CEP = 'ADPolicyProvider_CEP_UsernamePassword';
const PRIMARY = 'LAB-ISSUING-CA_CES_UsernamePassword';
const BACKUP = 'LAB-ISSUING-CA_CES_UsernamePassword#2';

describe('fault injection and failover layout', () => {
  let lab: Lab;
  let work: string;
  const url = (name: string) => lab.endpoint(name).url;
  const query = (name: string, timeoutMs?: number) =>
    post(url(name), queryXml(url(name), '1', lab.users[0]), { ca: lab.trustBundlePem, ...(timeoutMs ? { timeoutMs } : {}) });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lab-faults-'));
    lab = await startLab({
      dir: join(work, 'lab'),
      port: 0,
      accelerate: true,
      users: [{ username: 'LAB\\tester', password: 'p&ss<word>' }],
      cas: [
        { name: 'LAB-ISSUING-CA', usernameCes: [{ priority: 1 }, { priority: 2 }] },
        { name: 'LAB-SECOND-CA', templates: ['LabWebServer'] },
      ],
    });
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('publishes every CES of every CA with its priority; extra instances listen on their own port', async () => {
    const policy = parseGetPoliciesResponse((await post(url(CEP), getPoliciesXml(url(CEP), lab.users[0]), { ca: lab.trustBundlePem })).body);
    expect(policy.cas).toHaveLength(2);
    expect(policy.cas[0]!.enrollmentUris.map((u) => [u.uri, u.priority])).toEqual([
      [url(PRIMARY), 1],
      [url(BACKUP), 2],
      [url('LAB-ISSUING-CA_CES_Certificate'), 1],
    ]);
    expect(new URL(url(BACKUP)).port).not.toBe(new URL(url(PRIMARY)).port);
    const second = policy.templates.filter((t) => t.caReferences.includes(policy.cas[1]!.referenceId)).map((t) => t.commonName);
    expect(second).toEqual(['LabWebServer']);
    expect(policy.templates.find((t) => t.commonName === 'LabKBRComputer')).toMatchObject({ validitySeconds: 120, renewalSeconds: 40 });
  });

  it('refuse: the dedicated listener is closed (ECONNREFUSED) and reopens when cleared', async () => {
    await lab.setFault(BACKUP, { kind: 'refuse' });
    await expect(query(BACKUP)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await lab.setFault(BACKUP, null);
    expect((await query(BACKUP)).status).toBe(500); // unknown request 1: a SOAP fault, so the endpoint is back
  });

  it('refuse on the shared port resets the connection', async () => {
    await lab.setFault(PRIMARY, { kind: 'refuse' });
    await expect(query(PRIMARY)).rejects.toThrow();
    await lab.setFault(PRIMARY, null);
  });

  it('hang: the request is accepted and never answered', async () => {
    await lab.setFault(PRIMARY, { kind: 'hang' });
    await expect(query(PRIMARY, 300)).rejects.toThrow('client timeout');
    await lab.setFault(PRIMARY, null);
  });

  it('slow: answered normally after the delay', async () => {
    await lab.setFault(PRIMARY, { kind: 'slow', delayMs: 250 });
    const started = Date.now();
    const answer = await query(PRIMARY);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(parseWstepResponse(answer.body, answer.status).kind).toBe('fault');
    await lab.setFault(PRIMARY, null);
  });

  it('http500: an IIS error page, no SOAP envelope', async () => {
    await lab.setFault(PRIMARY, { kind: 'http500' });
    const answer = await query(PRIMARY);
    expect(answer.status).toBe(500);
    expect(answer.contentType).toBe('text/html');
    expect(() => parseWstepResponse(answer.body, answer.status)).toThrow(/not SOAP|XML/i);
    await lab.setFault(PRIMARY, null);
  });

  it('malformed: HTTP 200 with a truncated envelope', async () => {
    await lab.setFault(PRIMARY, { kind: 'malformed' });
    const answer = await query(PRIMARY);
    expect(answer.status).toBe(200);
    expect(() => parseWstepResponse(answer.body, answer.status)).toThrow();
    await lab.setFault(PRIMARY, null);
  });

  it('names unknown endpoints in the error', async () => {
    await expect(lab.setFault('nope', { kind: 'hang' })).rejects.toThrow(/LAB-ISSUING-CA_CES_UsernamePassword#2/);
  });

  it('logs every request as a JSON line in requests.log, also held in memory', () => {
    const lines = readFileSync(join(lab.dir, 'requests.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(lab.requestLog());
    expect(lines.map((l) => l.outcome)).toEqual(expect.arrayContaining(['policy', 'injected:hang', 'injected:http500', 'injected:malformed', 'injected:refuse']));
    expect(lines.find((l) => l.operation === 'QueryTokenStatus')).toMatchObject({ endpoint: BACKUP, auth: 'username:LAB\\tester', hresult: '0x80094004' });
    expect(JSON.stringify(lines)).not.toContain('p&ss<word>');
  });
});
