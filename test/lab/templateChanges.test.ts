// `autoenroll lab --templates FILE`: per-template autoEnroll grants and supersededPolicies as the
// CEP publishes them, and a restart on the same --dir with a changed file: new grants and a new
// superseding template are served, while the CA, the policy ID and the request store are kept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { labTemplatesFrom } from '../../src/lab/templateFile.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { hasOpenssl } from '../helpers/tools.js';
import { captureContext } from '../helpers/cliContext.js';
import { csr, getPoliciesXml, issueXml, post, rsaKey, templateExtensionHex, textOf } from './rawClient.js';

const work = mkdtempSync(join(tmpdir(), 'lab-templates-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OID = '1.3.6.1.4.1.311.21.8.1.2.3';
const base = [
  { name: 'Web', oid: `${OID}.1`, validitySeconds: 3600, renewalSeconds: 600, autoEnroll: true },
  { name: 'Vpn', oid: `${OID}.2`, validitySeconds: 3600, renewalSeconds: 600, autoEnroll: true, enrollmentFlags: 0x22 },
  { name: 'Mail', oid: `${OID}.3`, validitySeconds: 3600, renewalSeconds: 600, autoEnroll: false },
];

interface Summary {
  dir: string;
  policyId: string;
  endpoints: { name: string; url: string }[];
  trust: { caFile: string };
  users: { username: string; password: string }[];
  templates: { name: string; autoEnroll: boolean; supersedes: string[] }[];
}

async function startLabCli(args: string[]): Promise<{ summary: Summary; stop: () => Promise<void> }> {
  const controller = new AbortController();
  const context = { ...captureContext(), signal: controller.signal };
  const running = runCli(['lab', ...args, '--json'], context);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = context.out().split('\n')[0];
    if (line) {
      return {
        summary: JSON.parse(line) as Summary,
        stop: async () => {
          controller.abort();
          expect(await running).toBe(0);
        },
      };
    }
    if (Date.now() > deadline) throw new Error(`the lab did not start: ${context.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function policyOf(summary: Summary) {
  const cep = summary.endpoints.find((e) => e.name === 'ADPolicyProvider_CEP_UsernamePassword')!.url;
  const answer = await post(cep, getPoliciesXml(cep, summary.users[0]), { ca: readFileSync(summary.trust.caFile, 'utf8') });
  return parseGetPoliciesResponse(answer.body);
}

describe('lab template definitions', () => {
  it('rejects a bad file with the entry and key named', () => {
    expect(() => labTemplatesFrom([{ name: 'A', oid: '1.2', validitySeconds: 10, renewalSeconds: 5, autoEnroll: 'yes' }], 'f.yaml')).toThrow('f.yaml: templates[0].autoEnroll: expected true or false');
    expect(() => labTemplatesFrom([{ name: 'A', oid: 'x', validitySeconds: 10, renewalSeconds: 5 }], 'f.yaml')).toThrow('templates[0].oid');
    expect(() => labTemplatesFrom([{ name: 'A', oid: '1.2', validitySeconds: 10, renewalSeconds: 5, color: 1 }], 'f.yaml')).toThrow('unknown key "color"');
    expect(() => labTemplatesFrom([{ name: 'A', oid: '1.2', validitySeconds: 10, renewalSeconds: 5, supersedes: ['A'] }], 'f.yaml')).toThrow('supersedes itself');
    expect(() => labTemplatesFrom({ templates: [] }, 'f.yaml')).toThrow('non-empty list');
  });

  it.skipIf(!hasOpenssl)('serves per-template autoEnroll and supersededPolicies; a restart with a changed file keeps the CA, policy ID and requests', async () => {
    const dir = join(work, 'lab');
    const file = join(work, 'templates.yaml');
    writeFileSync(file, JSON.stringify({ templates: base }));
    const first = await startLabCli(['--dir', dir, '--port', '0', '--templates', file]);
    const port = new URL(first.summary.endpoints[0]!.url).port;
    const trustBefore = readFileSync(first.summary.trust.caFile, 'utf8');
    expect(first.summary.templates.map((t) => [t.name, t.autoEnroll])).toEqual([['Web', true], ['Vpn', true], ['Mail', false]]);
    const before = await policyOf(first.summary);
    expect(before.templates.map((t) => [t.commonName, t.permission.autoEnroll, t.supersededTemplates])).toEqual([
      ['Web', true, []],
      ['Vpn', true, []],
      ['Mail', false, []],
    ]);
    // A request left pending across the restart.
    const ces = first.summary.endpoints.find((e) => e.name === 'LAB-ISSUING-CA_CES_UsernamePassword')!.url;
    const ext = templateExtensionHex(work, `${OID}.2`, 100, 1);
    const answer = await post(ces, issueXml(ces, csr(work, 'vpn', rsaKey(work, 'vpn'), '/CN=vpn', ext), { user: first.summary.users[0]! }), { ca: trustBefore });
    const requestId = textOf(answer.body, 'RequestID')!;
    expect(requestId).toMatch(/^\d+$/);
    await first.stop();

    // The administrator grants autoEnroll on Mail and publishes Web2, which supersedes Web.
    writeFileSync(file, JSON.stringify({ templates: [base[0], base[1], { ...base[2], autoEnroll: true }, { name: 'Web2', oid: `${OID}.4`, validitySeconds: 3600, renewalSeconds: 600, supersedes: ['Web'] }] }));
    const second = await startLabCli(['--dir', dir, '--port', port, '--templates', file]);
    try {
      expect(second.summary.policyId).toBe(first.summary.policyId);
      expect(readFileSync(second.summary.trust.caFile, 'utf8')).toBe(trustBefore);
      const after = await policyOf(second.summary);
      expect(after.policyId).toBe(before.policyId);
      expect(after.templates.map((t) => [t.commonName, t.permission.autoEnroll, t.supersededTemplates])).toEqual([
        ['Web', true, []],
        ['Vpn', true, []],
        ['Mail', true, []],
        ['Web2', true, ['Web']],
      ]);
      const approve = captureContext();
      expect(await runCli(['lab', 'approve', requestId, '--dir', dir], approve)).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'requests', `${requestId}.json`), 'utf8')).status).toBe('approved');
    } finally {
      await second.stop();
    }
  });
});
