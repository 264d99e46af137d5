// An expired certificate cannot renew with its key: `renew` reports EXPIRED with exit 7 and says
// to enroll; `enroll` with credentials recovers it with a new enrollment.
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpenssl } from '../helpers/tools.js';
import { cli, keyMatchesCert, passResult, useAgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('expired certificate', () => {
  const env = useAgentLab();

  it('renew exits 7 with EXPIRED; enroll with credentials recovers it', async () => {
    const config = env.writeConfig('expired', [{ id: 'short', template: 'TestShort' }]);
    const dir = dirname(config);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], env.vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    const notAfter = Date.parse(passResult(enrolled.out).certificates[0]!.notAfter!);
    // A real expiry (5 s template), not a shifted clock: the CA and TLS judge with the real time too.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - Date.now()) + 1100));

    const renewed = await cli(['--config', config, '--json', 'renew'], env.vars);
    expect(renewed.code, renewed.err).toBe(7);
    const result = passResult(renewed.out).certificates[0]!;
    expect(result).toMatchObject({ status: 'EXPIRED', outcome: 'needs-attention', error: { code: 'EXPIRED' } });
    expect(result.error?.message).toContain('autoenroll enroll');
    const text = await cli(['--config', config, 'renew', '--force'], env.vars);
    expect(text.code).toBe(7);
    expect(text.out).toContain('EXPIRED');

    const recovered = await cli(['--config', config, '--json', 'enroll'], env.vars);
    expect(recovered.code, recovered.err).toBe(0);
    expect(passResult(recovered.out).certificates[0]).toMatchObject({ action: 're-enroll', planned: 're-enroll/expired', outcome: 'issued', generation: 2, status: 'VALID' });
    expect(keyMatchesCert(join(dir, 'out/short.pem'), join(dir, 'out/short.key'))).toBe(true);
    const lastIssue = env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)!;
    expect(lastIssue.auth).toMatch(/^username:/);
  });
});
