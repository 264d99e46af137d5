// `autoenroll request` as a sysadmin types it, the built CLI run as a child process against the lab
// (served from this process, hence an asynchronous child): --subject required where the template
// takes it from the request, hints in terms of request's own options, a retrieval that needs only
// --request-id, --out and the password, and no empty --out folder after a refused request.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_USERNAME, keyMatchesCert, TEST_TEMPLATES } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('request, one shot', () => {
  let lab: Lab;
  let work: string;
  let user: { username: string; password: string };
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ae-oneshot-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES });
    user = lab.users[0]!;
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });
  const run = (args: string[], password = user.password) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = execFile(process.execPath, [CLI, 'request', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work }, timeout: 90_000 }, (error, out, err) => {
        resolve({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, out, err });
      });
      child.stdin?.end(`${password}\n`);
    });
  const base = (template: string, out: string) => ['--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', template, '--username', user.username, '--password-stdin', '--ca-file', lab.trustBundlePath, '--out', out, '--key', 'ec:p256'];

  it('needs --subject (or --dns) when the template takes the subject from the request, and leaves no --out folder', async () => {
    const out = join(work, 'no-subject');
    const r = await run(base('TestInstant', out));
    expect(r.code).toBe(4);
    expect(r.err).toContain('[SUBJECT_REQUIRED]');
    expect(r.err).toContain('template "TestInstant" takes the subject from the request: give --subject');
    expect(existsSync(out)).toBe(false);
    const withDns = await run([...base('TestInstant', out), '--dns', 'dns-only.lab.test']);
    expect(withDns.code, withDns.err).toBe(0);
    expect(withDns.out).toContain('issued: CN=dns-only.lab.test');
  });

  it('a request refused before it is sent (template not in the policy) leaves no --out folder', async () => {
    const out = join(work, 'typo');
    const r = await run([...base('TestInstnat', out), '--subject', 'CN=x.lab.test']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('(did you mean "TestInstant"?)');
    expect(existsSync(out)).toBe(false);
  });

  it('names --ca-file, not trust.caFile, when the server is not trusted', async () => {
    const out = join(work, 'untrusted');
    const args = base('TestInstant', out).filter((a, i, all) => a !== '--ca-file' && all[i - 1] !== '--ca-file');
    const r = await run([...args, '--subject', 'CN=x.lab.test']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('--ca-file');
    expect(r.err).not.toContain('trust.caFile');
    expect(existsSync(out)).toBe(false);
  });

  it('--request-id with --out needs only the password: the rest is what the folder recorded', async () => {
    const out = join(work, 'pending');
    const pending = await run([...base('TestPending', out), '--subject', 'CN=pending.lab.test']);
    expect(pending.code, pending.err).toBe(5);
    const requestId = /^RequestID (\d+)$/m.exec(pending.out)![1]!;
    await lab.approve(requestId);
    const retrieved = await run(['--request-id', requestId, '--out', out, '--password-stdin', '--ca-file', lab.trustBundlePath]);
    expect(retrieved.code, retrieved.err).toBe(0);
    expect(retrieved.out).toContain('issued: CN=pending.lab.test');
    expect(keyMatchesCert(join(out, 'cert.pem'), join(out, 'key.pem'))).toBe(true);
  });

  it('without --request-id, --policy-server and --template are still required', async () => {
    const r = await run(['--out', join(work, 'bare'), '--password-stdin']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('request needs --policy-server');
  });
});
