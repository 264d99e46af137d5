// CES selection against a lab with two CAs: an unreachable enrollment service is skipped for the
// next one, and a key-based renewal goes to the certificate CES of the CA that issued the
// certificate (CA affinity), presenting that certificate.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, TEST_TEMPLATES, cli } from './agentLab.js';

describe.skipIf(!hasOpenssl)('CES failover and CA affinity', () => {
  let lab: Lab;
  let work: string;
  let config: string;
  let vars: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-e2e-ces-'));
    lab = await startLab({
      dir: join(work, 'lab'),
      port: 0,
      templates: TEST_TEMPLATES,
      cas: [
        { name: 'CA-ONE', usernameCes: [{ priority: 1 }, { priority: 1, port: 0 }] },
        { name: 'CA-TWO', usernameCes: [{ priority: 1, port: 0 }], certificateCes: [{ port: 0 }] },
      ],
    });
    const user = lab.users[0]!;
    vars = { LAB_PASSWORD: user.password };
    mkdirSync(join(work, 'agent'));
    config = join(work, 'agent', 'config.yaml');
    writeFileSync(
      config,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: ['a', 'b', 'c', 'd'].map((id) => ({ id, template: 'TestInstant', subject: `CN=${id}.lab.test`, key: { algorithm: 'EC', curve: 'P-256' } })),
        transport: { connectTimeout: '3s', requestTimeout: '5s' },
      }),
    );
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('fails over past a refusing CES and renews each certificate at the CA that issued it', async () => {
    // Every username CES but one refuses: whatever order the shuffle picks, each enrollment lands there.
    await lab.setFault('CA-ONE_CES_UsernamePassword', { kind: 'refuse' });
    await lab.setFault('CA-ONE_CES_UsernamePassword#2', { kind: 'refuse' });
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars);
    await lab.setFault('CA-ONE_CES_UsernamePassword', null);
    await lab.setFault('CA-ONE_CES_UsernamePassword#2', null);
    expect(enrolled.code, enrolled.err).toBe(0);
    const issued = (JSON.parse(enrolled.out) as PassResult).certificates;
    expect(issued.every((c) => c.outcome === 'issued' && c.endpoint === lab.endpoint('CA-TWO_CES_UsernamePassword').url)).toBe(true);

    // CA-ONE publishes a certificate CES too, with the same priority: without CA affinity about
    // half of these renewals would go there and be refused (client certificate from another CA).
    const renewed = await cli(['--config', config, '--json', 'renew', '--force'], vars);
    expect(renewed.code, renewed.err).toBe(0);
    for (const result of (JSON.parse(renewed.out) as PassResult).certificates) {
      expect(result).toMatchObject({ action: 'renew', outcome: 'issued', endpoint: lab.endpoint('CA-TWO_CES_Certificate').url });
      const entry = lab.requestLog().filter((e) => e.operation === 'Issue' && e.clientCertThumbprint === result.previousThumbprint);
      expect(entry).toEqual([expect.objectContaining({ endpoint: 'CA-TWO_CES_Certificate', auth: 'certificate', outcome: 'issued' })]);
    }
  });
});
