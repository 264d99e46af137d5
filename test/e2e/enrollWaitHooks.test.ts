// `enroll --wait` polls a pending request until it is issued; a failing deploy hook exits 6 and
// leaves the new certificate installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpenssl } from '../helpers/tools.js';
import { cli, keyMatchesCert, passResult, useAgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('enroll --wait and deploy hooks', () => {
  const env = useAgentLab();

  it('enroll --wait installs a request approved while it waits (exit 0)', async () => {
    const config = env.writeConfig('wait', [{ id: 'w', template: 'TestPending' }]);
    const issuesBefore = env.lab.requestLog().filter((e) => e.operation === 'Issue').length;
    const running = cli(['--config', config, '--json', 'enroll', '--wait', '20'], env.vars);
    let requestId: string | undefined;
    for (let i = 0; i < 100 && requestId === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      requestId = env.lab.requestLog().filter((e) => e.operation === 'Issue').slice(issuesBefore)[0]?.requestId;
    }
    expect(requestId).toBeDefined();
    await env.lab.approve(requestId!);
    const result = await running;
    expect(result.code, result.err).toBe(0);
    expect(passResult(result.out).certificates[0]).toMatchObject({ action: 'enroll', outcome: 'issued', requestId, generation: 1 });
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue')).toHaveLength(issuesBefore + 1);
  });

  it('enroll --wait gives up after the time with exit 5 and keeps the request pending', async () => {
    const config = env.writeConfig('nowait', [{ id: 'n', template: 'TestPending' }]);
    const result = await cli(['--config', config, 'enroll', '--wait', '1'], env.vars);
    expect(result.code, result.err).toBe(5);
    expect(existsSync(join(dirname(config), 'state/certs/n/pending/meta.json'))).toBe(true);
  });

  it('a failing deploy hook exits 6 and the certificate stays installed; a working one sees the new files', async () => {
    const marker = join(env.work, 'hook-ran');
    const config = env.writeConfig('hooks', [
      { id: 'bad', template: 'TestInstant', deploy: ['false'] },
      { id: 'good', template: 'TestInstant', deploy: [`touch ${marker}`] },
    ]);
    const dir = dirname(config);
    const result = await cli(['--config', config, '--json', 'enroll'], env.vars);
    expect(result.code, result.err).toBe(6);
    const certificates = passResult(result.out).certificates;
    expect(certificates.find((c) => c.id === 'bad')).toMatchObject({ outcome: 'issued', generation: 1, error: { code: 'HOOK_FAILED' } });
    expect(certificates.find((c) => c.id === 'good')).toMatchObject({ outcome: 'issued', error: null, exitCode: 0 });
    expect(keyMatchesCert(join(dir, 'out/bad.pem'), join(dir, 'out/bad.key'))).toBe(true);
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(join(dir, 'out/good.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});
