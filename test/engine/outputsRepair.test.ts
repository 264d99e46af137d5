// Output files follow the current generation on every pass, not only after a new certificate: a
// deleted output file comes back, an output path added to the config appears — atomically, from
// the certificate already installed, with no request to the CA and no deploy hook (the
// certificate did not change).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { hasOpenssl } from '../helpers/tools.js';
import { cli, keyMatchesCert, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('output files repaired from the current generation', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
  });
  afterAll(async () => env?.close());

  const issues = () => env.lab.requestLog().filter((e) => e.operation === 'Issue').length;

  it('a deleted output file is restored by pulse and by renew; a fullchain added to the config appears; no hook runs', async () => {
    const hookRan = join(env.work, 'hook-ran');
    const config = env.writeConfig('repair', [{ id: 'web', template: 'TestInstant', deploy: [`touch ${hookRan}`] }]);
    const out = join(dirname(config), 'out');
    expect((await cli(['--config', config, 'enroll'], vars)).code).toBe(0);
    expect(existsSync(hookRan)).toBe(true);
    rmSync(hookRan);
    const cert = readFileSync(join(out, 'web.pem'), 'utf8');
    const before = issues();

    rmSync(join(out, 'web.key'));
    const pulse = await cli(['--config', config, '--json', 'pulse'], vars);
    expect(pulse.code, pulse.err).toBe(0);
    expect((JSON.parse(pulse.out) as PassResult).certificates[0]).toMatchObject({ action: 'reinstall', outputs: expect.arrayContaining([join(out, 'web.key')]) });
    expect(keyMatchesCert(join(out, 'web.pem'), join(out, 'web.key'))).toBe(true);

    rmSync(join(out, 'web-chain.pem'));
    const renew = await cli(['--config', config, 'renew'], vars);
    expect(renew.code, renew.err).toBe(0);
    expect(renew.out).toContain('output files reinstalled');
    expect(existsSync(join(out, 'web-chain.pem'))).toBe(true);

    const document = parse(readFileSync(config, 'utf8')) as { certificates: { output: Record<string, string> }[] };
    document.certificates[0]!.output.fullchain = './out/web-full.pem';
    writeFileSync(config, stringify(document));
    expect((await cli(['--config', config, 'pulse'], vars)).code).toBe(0);
    const fullchain = readFileSync(join(out, 'web-full.pem'), 'utf8');
    expect(fullchain.startsWith(cert)).toBe(true);
    expect(fullchain).toContain(readFileSync(join(out, 'web-chain.pem'), 'utf8'));

    // Nothing was requested and the certificate is the same one: the deploy hook stayed quiet.
    expect(issues()).toBe(before);
    expect(readFileSync(join(out, 'web.pem'), 'utf8')).toBe(cert);
    expect(existsSync(hookRan)).toBe(false);

    // In place again: the next pass leaves the files alone.
    const idle = await cli(['--config', config, '--json', 'pulse'], vars);
    expect((JSON.parse(idle.out) as PassResult).certificates[0]).toMatchObject({ action: 'none', outputs: [] });
  });
});
