// `autoenroll request`: one-shot enrollment with no config and no state folder, against the lab.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { OneShotResult, RequestRecord } from '../../src/engine/oneShotRequest.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CEP_USERNAME, CES_USERNAME, keyMatchesCert, TEST_TEMPLATES } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('autoenroll request', () => {
  let lab: Lab;
  let work: string;
  let user: { username: string; password: string };
  let outCount = 0;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-request-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES });
    user = lab.users[0]!;
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const newOut = () => join(work, `out${++outCount}`);
  const request = async (template: string, out: string, extra: string[] = [], stdin: string | null = `${user.password}\n`) => {
    const context = captureContext(stdin === null ? {} : { stdin });
    const argv = [
      'request',
      '--policy-server', lab.endpoint(CEP_USERNAME).url,
      '--template', template,
      '--username', user.username,
      ...(stdin === null ? [] : ['--password-stdin']),
      '--subject', 'CN=oneshot.lab.test',
      '--dns', 'oneshot.lab.test',
      '--dns', 'alias.lab.test',
      '--key', 'ec:p256',
      '--ca-file', lab.trustBundlePath,
      '--out', out,
      ...extra,
    ];
    const code = await runCli(argv, context);
    return { code, out: context.out(), err: context.err() };
  };
  const record = (out: string) => JSON.parse(readFileSync(join(out, 'request.json'), 'utf8')) as RequestRecord;

  it('issues at once: cert.pem, key.pem (0600) and chain.pem that openssl verifies', async () => {
    const out = newOut();
    const result = await request('TestInstant', out);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^issued: CN=oneshot\.lab\.test, serial [0-9A-F]+, thumbprint [0-9A-F]{40}/);
    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(keyMatchesCert(join(out, 'cert.pem'), join(out, 'key.pem'))).toBe(true);
    const verify = openssl(['verify', '-CAfile', lab.trustBundlePath, '-untrusted', join(out, 'chain.pem'), join(out, 'cert.pem')]);
    expect(verify.stdout + verify.stderr).toContain(': OK');
    const text = openssl(['x509', '-in', join(out, 'cert.pem'), '-noout', '-subject', '-ext', 'subjectAltName', '-text']).stdout;
    expect(text).toContain('CN = oneshot.lab.test');
    expect(text).toMatch(/DNS:oneshot\.lab\.test, DNS:alias\.lab\.test/);
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(record(out)).toMatchObject({ status: 'issued', endpoint: lab.endpoint(CES_USERNAME).url, template: 'TestInstant' });
  });

  it('pending: prints the RequestID, keeps key and CES URL, exits 5; --request-id retrieves it after approval', async () => {
    const out = newOut();
    const pending = await request('TestPending', out);
    expect(pending.code, pending.err).toBe(5);
    const requestId = /^RequestID (\d+)$/m.exec(pending.out)?.[1];
    expect(requestId).toBeDefined();
    expect(record(out)).toMatchObject({ status: 'pending', requestId, endpoint: lab.endpoint(CES_USERNAME).url });
    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, 'cert.pem'))).toBe(false);

    const again = await request('TestPending', out);
    expect(again.code).toBe(4);
    expect(again.err).toContain(`holds pending request ${requestId}`);
    const stillPending = await request('TestPending', out, ['--request-id', requestId!]);
    expect(stillPending.code).toBe(5);

    await lab.approve(requestId!);
    const issuesBefore = lab.requestLog().filter((e) => e.operation === 'Issue').length;
    const retrieved = await request('TestPending', out, ['--request-id', requestId!, '--json']);
    expect(retrieved.code, retrieved.err).toBe(0);
    expect(JSON.parse(retrieved.out) as OneShotResult).toMatchObject({ status: 'issued', requestId, endpoint: lab.endpoint(CES_USERNAME).url });
    expect(keyMatchesCert(join(out, 'cert.pem'), join(out, 'key.pem'))).toBe(true);
    // Retrieval polls; it never submits a second request.
    expect(lab.requestLog().filter((e) => e.operation === 'Issue').length).toBe(issuesBefore);
  });

  it('retrieves without request.json by asking the CES of the template', async () => {
    const out = newOut();
    const pending = await request('TestPending', out);
    const requestId = /^RequestID (\d+)$/m.exec(pending.out)![1]!;
    rmSync(join(out, 'request.json'));
    await lab.approve(requestId);
    const retrieved = await request('TestPending', out, ['--request-id', requestId]);
    expect(retrieved.code, retrieved.err).toBe(0);
    expect(keyMatchesCert(join(out, 'cert.pem'), join(out, 'key.pem'))).toBe(true);
  });

  it('a denied request exits 2 with the HRESULT and is recorded as denied', async () => {
    const out = newOut();
    const requestId = /^RequestID (\d+)$/m.exec((await request('TestPending', out)).out)![1]!;
    await lab.deny(requestId);
    const denied = await request('TestPending', out, ['--request-id', requestId, '--json']);
    expect(denied.code).toBe(2);
    expect(JSON.parse(denied.out).error).toMatchObject({ requestId, hresult: expect.any(Number) });
    expect(record(out)).toMatchObject({ status: 'denied', requestId });
  });

  it('never overwrites a folder that holds a certificate', async () => {
    const out = newOut();
    expect((await request('TestInstant', out)).code).toBe(0);
    const before = readFileSync(join(out, 'key.pem'), 'utf8');
    const second = await request('TestInstant', out);
    expect(second.code).toBe(4);
    expect(second.err).toContain('already holds a certificate');
    expect(readFileSync(join(out, 'key.pem'), 'utf8')).toBe(before);
  });

  it('takes the password only from stdin or a terminal, and says which credentials failed', async () => {
    const noPassword = await request('TestInstant', newOut(), [], null);
    expect(noPassword.code).toBe(4);
    expect(noPassword.err).toContain('--password-stdin');
    const wrong = await request('TestInstant', newOut(), [], 'not-the-password\n');
    expect(wrong.code).toBe(4);
    expect(wrong.err).toMatch(/rejected the credentials/);
    expect(wrong.err).not.toContain('not-the-password');
  });

  it('names the templates on offer when the template is not in the policy', async () => {
    const result = await request('NoSuchTemplate', newOut());
    expect(result.code).toBe(4);
    expect(result.err).toMatch(/no template "NoSuchTemplate" \(it offers: .*TestInstant/);
  });
});
