// Policy-driven autoenrollment in a key-based-renewal deployment (CLI process against the lab): the
// certificate CEP, preferred once a certificate is held, lists only key-based-renewal templates,
// so a grant on another template is learnt from the username CEP, which a pulse asks as well.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab, LabTemplate } from '../../src/lab/lab.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME } from './agentLab.js';
import { bundleCli, runBundle } from './cliBundle.js';

const OID = '1.3.6.1.4.1.311.21.8.7510143.1436283.21';
const KBR: LabTemplate = { name: 'AutoKbr', oid: `${OID}.1`, validitySeconds: 3600, renewalSeconds: 600, minimalKeyLength: 256, enrollmentFlags: 0x20 | 0x40 | 0x10000, subjectNameFlags: 0x1 | 0x8 | 0x10000 };
// No key-based renewal: the certificate CEP does not list it.
const PLAIN: LabTemplate = { name: 'AutoPlain', oid: `${OID}.2`, validitySeconds: 3600, renewalSeconds: 600, minimalKeyLength: 256, enrollmentFlags: 0x20, autoEnroll: false };

describe.skipIf(!hasOpenssl)('autoenroll with a certificate CEP and a username CEP', () => {
  let work: string;
  let lab: Lab;
  let bundle: string;
  let config: string;
  let env: NodeJS.ProcessEnv;
  const pulse = async (): Promise<PassResult> => {
    const result = await runBundle(bundle, ['--config', config, 'pulse', '--json'], env, 60_000);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as PassResult;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-kbr-'));
    [bundle, lab] = await Promise.all([bundleCli(), startLab({ dir: join(work, 'lab'), port: 0, templates: [KBR, PLAIN] })]);
    const user = lab.users[0] as { username: string; password: string };
    env = { LAB_PASSWORD: user.password };
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
        autoenroll: { key: { algorithm: 'EC', curve: 'P-256' } },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a grant on a template only the username CEP lists is seen at the next pulse', async () => {
    const first = await pulse();
    expect(first.certificates.map((c) => [c.id, c.outcome])).toEqual([['auto-AutoKbr', 'issued']]);

    const port = Number(new URL(lab.endpoint(CEP_USERNAME).url).port);
    await lab.close();
    lab = await startLab({ dir: join(work, 'lab'), port, templates: [KBR, { ...PLAIN, autoEnroll: true }] });
    const second = await pulse();
    expect(second.policy.endpoint).toBe(lab.endpoint(CEP_CERTIFICATE).url);
    expect(lab.requestLog().filter((e) => e.operation === 'GetPolicies').map((e) => e.endpoint).sort()).toEqual([CEP_USERNAME, CEP_CERTIFICATE].sort());
    expect(second.certificates.map((c) => [c.id, c.action, c.outcome])).toEqual([
      ['auto-AutoKbr', 'none', 'nothing-due'],
      ['auto-AutoPlain', 'enroll', 'issued'],
    ]);
  }, 120_000);
});
