// `autoenroll lab` in-process: prints the endpoints, trust bundle and users as one JSON document,
// serves until the signal, and `lab approve|deny ID --dir` act on its pending requests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { hasOpenssl } from '../helpers/tools.js';
import { skipKerberosTests, startKdc } from '../helpers/kdc.js';
import { captureContext } from '../helpers/cliContext.js';
import { csr, issueXml, post, rsaKey, templateExtensionHex, textOf } from '../lab/rawClient.js';

const work = mkdtempSync(join(tmpdir(), 'lab-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function waitFor<T>(probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasOpenssl)('autoenroll lab', () => {
  it('serves until aborted; approve and deny act on its requests from outside', async () => {
    const dir = join(work, 'lab');
    const controller = new AbortController();
    const context = { ...captureContext(), signal: controller.signal };
    const running = runCli(['lab', '--dir', dir, '--port', '0', '--json'], context);
    const summary = await waitFor(() => {
      const line = context.out().split('\n')[0];
      return line ? (JSON.parse(line) as { endpoints: { name: string; url: string }[]; trust: { caFile: string }; users: { username: string; password: string }[] }) : undefined;
    });
    expect(summary.endpoints.map((e) => e.name)).toEqual([
      'ADPolicyProvider_CEP_UsernamePassword',
      'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate',
      'LAB-ISSUING-CA_CES_UsernamePassword',
      'LAB-ISSUING-CA_CES_Certificate',
    ]);
    const ca = readFileSync(summary.trust.caFile, 'utf8');
    const ces = summary.endpoints[2]!.url;
    const ext = templateExtensionHex(work, '1.3.6.1.4.1.311.21.8.7510143.1436283.1.2', 100, 1);
    const submit = async (name: string) => {
      const answer = await post(ces, issueXml(ces, csr(work, name, rsaKey(work, name), `/CN=${name}`, ext), { user: summary.users[0]! }), { ca });
      return textOf(answer.body, 'RequestID')!;
    };
    const first = await submit('one');
    const second = await submit('two');

    const approve = captureContext();
    expect(await runCli(['lab', 'approve', first, '--dir', dir], approve)).toBe(0);
    expect(approve.out()).toContain(`request ${first}`);
    expect(JSON.parse(readFileSync(join(dir, 'requests', `${first}.json`), 'utf8')).status).toBe('approved');

    const deny = captureContext();
    expect(await runCli(['lab', 'deny', second, '--dir', dir, '--json'], deny)).toBe(0);
    expect(JSON.parse(deny.out())).toMatchObject({ requestId: second, status: 'denied' });

    const again = captureContext();
    expect(await runCli(['lab', 'deny', second, '--dir', dir], again)).toBe(4);
    expect(again.err()).toContain('LAB_NOT_PENDING');
    const unknown = captureContext();
    expect(await runCli(['lab', 'approve', '424242', '--dir', dir], unknown)).toBe(4);
    expect(unknown.err()).toContain('LAB_UNKNOWN_REQUEST');

    controller.abort();
    expect(await running).toBe(0);
  });
});

describe.skipIf(skipKerberosTests())('autoenroll lab --kerberos-keytab', () => {
  it('adds the Kerberos CEP and CES, which ask for Negotiate', async () => {
    const kdc = await startKdc();
    try {
      kdc.addPrincipal('HTTP/127.0.0.1');
      const keytab = kdc.keytab(join(work, 'lab-http.keytab'), ['HTTP/127.0.0.1']);
      const controller = new AbortController();
      const context = { ...captureContext(), signal: controller.signal };
      const running = runCli(['lab', '--dir', join(work, 'kerberos-lab'), '--port', '0', '--json', '--kerberos-keytab', keytab], context);
      const summary = await waitFor(() => {
        const line = context.out().split('\n')[0];
        return line ? (JSON.parse(line) as { endpoints: { name: string; url: string; auth: string }[]; trust: { caFile: string } }) : undefined;
      });
      const kerberos = summary.endpoints.filter((e) => e.auth === 'kerberos').map((e) => e.name);
      expect(kerberos).toEqual(['ADPolicyProvider_CEP_Kerberos', 'LAB-ISSUING-CA_CES_Kerberos']);
      const cep = summary.endpoints.find((e) => e.name === 'ADPolicyProvider_CEP_Kerberos')!.url;
      const answer = await post(cep, '<x/>', { ca: readFileSync(summary.trust.caFile, 'utf8') });
      expect(answer.status).toBe(401);
      controller.abort();
      expect(await running).toBe(0);
    } finally {
      await kdc.stop();
    }
  });
});
