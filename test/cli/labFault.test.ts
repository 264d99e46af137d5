// `autoenroll lab --fault`: a fault named on the command line is served (here: a CA issuing
// expired certificates, which the one-shot request refuses), and an unknown name is a usage error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { hasOpenssl } from '../helpers/tools.js';
import { captureContext } from '../helpers/cliContext.js';

const work = mkdtempSync(join(tmpdir(), 'lab-fault-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasOpenssl)('autoenroll lab --fault', () => {
  it('serves the named fault on every endpoint', async () => {
    const controller = new AbortController();
    const context = { ...captureContext(), signal: controller.signal };
    const running = runCli(['lab', '--dir', join(work, 'lab'), '--port', '0', '--json', '--fault', 'issueExpired'], context);
    let summary: { endpoints: { name: string; url: string }[]; trust: { caFile: string }; users: { username: string; password: string }[] } | undefined;
    for (let i = 0; i < 400 && !summary; i++) {
      const line = context.out().split('\n')[0];
      if (line) summary = JSON.parse(line) as typeof summary;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      const user = summary!.users[0]!;
      const request = captureContext({ stdin: `${user.password}\n` });
      const code = await runCli(
        ['request', '--policy-server', summary!.endpoints[0]!.url, '--template', 'LabWebServer', '--username', user.username, '--password-stdin', '--subject', 'CN=fault.lab.test', '--ca-file', summary!.trust.caFile, '--out', join(work, 'out')],
        request,
      );
      expect(request.out() + request.err()).toContain('ISSUED_EXPIRED');
      expect(code).toBe(2);
    } finally {
      controller.abort();
      expect(await running).toBe(0);
    }
  }, 60_000);

  it('refuses an unknown fault name', async () => {
    const context = captureContext();
    expect(await runCli(['lab', '--dir', join(work, 'lab2'), '--port', '0', '--fault', 'noSuchFault'], context)).toBe(4);
    expect(context.err()).toContain('unknown fault');
  });
});
