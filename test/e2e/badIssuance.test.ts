// A CA that issues bad certificates (already expired, not yet valid, another subject, other
// alternative names): enroll, renew --force, retrieve and the one-shot request refuse each with
// its typed code, exit 2, name the RequestID, and install nothing; status shows the refusal.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { LabFault } from '../../src/lab/lab.js';
import type { CertificateState } from '../../src/store/stateModel.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_USERNAME, cli, passResult, readJson, useAgentLab } from './agentLab.js';

const FAULTS: { kind: LabFault['kind']; code: string }[] = [
  { kind: 'issueExpired', code: 'ISSUED_EXPIRED' },
  { kind: 'issueNotYetValid', code: 'ISSUED_NOT_YET_VALID' },
  { kind: 'issueWrongSubject', code: 'ISSUED_SUBJECT_MISMATCH' },
  { kind: 'issueWrongSan', code: 'ISSUED_SAN_MISMATCH' },
];

describe.skipIf(!hasOpenssl)('bad issuance is refused before anything is written', () => {
  const env = useAgentLab();
  let n = 0;

  async function faultOnCes(kind: LabFault['kind'] | null): Promise<void> {
    for (const endpoint of env.lab.endpoints.filter((e) => e.kind === 'ces')) await env.lab.setFault(endpoint.name, kind === null ? null : ({ kind } as LabFault));
  }
  const lastIssuedRequestId = (): string => env.lab.requestLog().filter((e) => e.requestId !== undefined).at(-1)!.requestId!;

  for (const { kind, code } of FAULTS) {
    it(`${kind}: enroll exits 2 with ${code}, nothing installed, status shows it`, async () => {
      const config = env.writeConfig(`enroll-${kind}`, [{ id: 'web', template: 'TestInstant' }]);
      const dir = dirname(config);
      await faultOnCes(kind);
      try {
        const result = await cli(['--config', config, '--json', 'enroll'], env.vars);
        expect(result.code, result.err).toBe(2);
        const web = passResult(result.out).certificates[0]!;
        expect(web.error?.code).toBe(code);
        const requestId = lastIssuedRequestId();
        expect(web.error?.message).toContain(`request ${requestId}`);
        expect(web.error?.message).toContain('revoke');
        expect(web.error?.message).toContain('LAB-ISSUING-CA');
        expect(existsSync(join(dir, 'out/web.pem'))).toBe(false);
        expect(existsSync(join(dir, 'out/web.key'))).toBe(false);
        expect(existsSync(join(dir, 'state/certs/web/current'))).toBe(false);
        const state = readJson<CertificateState>(join(dir, 'state/certs/web/state.json'));
        expect(state.lastError).toMatchObject({ code, requestId });
        const status = await cli(['--config', config, '--json', 'status'], env.vars);
        expect(status.out).toContain(code);
        const text = await cli(['--config', config, 'status'], env.vars);
        expect(text.out).toContain(code);
      } finally {
        await faultOnCes(null);
      }
    });

    it(`${kind}: renew --force exits 2 with ${code}, the installed certificate stays`, async () => {
      const config = env.writeConfig(`renew-${kind}`, [{ id: 'web', template: 'TestInstant' }]);
      const dir = dirname(config);
      const enrolled = await cli(['--config', config, 'enroll'], env.vars);
      expect(enrolled.code, enrolled.err).toBe(0);
      const before = readFileSync(join(dir, 'out/web.pem'), 'utf8');
      const keyBefore = readFileSync(join(dir, 'out/web.key'), 'utf8');
      await faultOnCes(kind);
      try {
        const result = await cli(['--config', config, '--json', 'renew', '--force'], env.vars);
        expect(result.code, result.err).toBe(2);
        const web = passResult(result.out).certificates[0]!;
        expect(web.error?.code).toBe(code);
        expect(web.error?.message).toContain(`request ${lastIssuedRequestId()}`);
        expect(readFileSync(join(dir, 'out/web.pem'), 'utf8')).toBe(before);
        expect(readFileSync(join(dir, 'out/web.key'), 'utf8')).toBe(keyBefore);
        expect(web.generation ?? 1).toBe(1);
      } finally {
        await faultOnCes(null);
      }
    });

    it(`${kind}: retrieve of an approved request exits 2 with ${code}`, async () => {
      const config = env.writeConfig(`retrieve-${kind}`, [{ id: 'web', template: 'TestPending' }]);
      const dir = dirname(config);
      const first = await cli(['--config', config, '--json', 'enroll'], env.vars);
      expect(first.code, first.err).toBe(5);
      const requestId = passResult(first.out).certificates[0]!.requestId!;
      await env.lab.approve(requestId);
      await faultOnCes(kind);
      try {
        const result = await cli(['--config', config, 'retrieve'], env.vars);
        expect(result.code, result.err).toBe(2);
        expect(result.out + result.err).toContain(code);
        expect(result.out + result.err).toContain(`request ${requestId}`);
        expect(existsSync(join(dir, 'out/web.pem'))).toBe(false);
      } finally {
        await faultOnCes(null);
      }
    });

    it(`${kind}: the one-shot request exits 2 with ${code}, no cert.pem`, async () => {
      const out = join(env.work, `oneshot-${kind}-${++n}`);
      const user = env.lab.users[0]!;
      await faultOnCes(kind);
      try {
        const context = captureContext({ stdin: `${user.password}\n` });
        const argv = ['request', '--policy-server', env.lab.endpoint(CEP_USERNAME).url, '--template', 'TestInstant', '--username', user.username, '--password-stdin',
          '--subject', 'CN=oneshot.lab.test', '--dns', 'oneshot.lab.test', '--key', 'ec:p256', '--ca-file', env.lab.trustBundlePath, '--out', out];
        const code2 = await runCli(argv, context);
        expect(code2, context.err()).toBe(2);
        expect(context.out() + context.err()).toContain(code);
        expect(context.out() + context.err()).toContain(`request ${lastIssuedRequestId()}`);
        expect(existsSync(join(out, 'cert.pem'))).toBe(false);
      } finally {
        await faultOnCes(null);
      }
    });
  }
});
