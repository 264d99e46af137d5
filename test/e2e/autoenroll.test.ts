// Policy-driven autoenrollment end to end: the CLI as a separate process against the lab, whose
// template grants change between passes by restarting it on the same folder and port (the CA and
// its request store are kept), as an AD CS administrator changes templates between two pulses.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { hostFacts } from '../../src/engine/hostFacts.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import type { PlanDocument } from '../../src/cli/commands/plan.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab, LabTemplate } from '../../src/lab/lab.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CEP_USERNAME, CES_USERNAME, keyMatchesCert } from './agentLab.js';
import { bundleCli, runBundle } from './cliBundle.js';

const OID = '1.3.6.1.4.1.311.21.8.7510143.1436283.20';
// Issued at once; enrollee supplies subject and SANs; key-based renewal allowed; EC P-256 accepted.
const issuing = (name: string, n: number, extra: Partial<LabTemplate> = {}): LabTemplate => ({
  name,
  oid: `${OID}.${n}`,
  validitySeconds: 3600,
  renewalSeconds: 600,
  minimalKeyLength: 256,
  enrollmentFlags: 0x20 | 0x40 | 0x10000,
  subjectNameFlags: 0x1 | 0x8 | 0x10000,
  ...extra,
});
const WEB = issuing('AutoWeb', 1);
const VPN = issuing('AutoVpn', 2);
const MAIL = issuing('AutoMail', 3, { autoEnroll: false });
const WEB2 = issuing('AutoWeb2', 4, { supersedes: ['AutoWeb'] });

describe.skipIf(!hasOpenssl)('autoenroll from the policy (CLI process against the lab)', () => {
  let work: string;
  let labDir: string;
  let port: number;
  let lab: Lab;
  let bundle: string;
  let config: string;
  let env: NodeJS.ProcessEnv;
  const fqdn = hostFacts().fqdn;

  const startWith = async (templates: LabTemplate[]): Promise<void> => {
    lab = await startLab({ dir: labDir, port, templates });
    port = Number(new URL(lab.endpoint(CEP_USERNAME).url).port);
  };
  const restartWith = async (templates: LabTemplate[]): Promise<void> => {
    await lab.close();
    await startWith(templates);
  };
  const agent = async (...argv: string[]) => {
    const result = await runBundle(bundle, ['--config', config, ...argv], env, 60_000);
    return { ...result, json: () => JSON.parse(result.stdout) as unknown };
  };
  const pulse = async (): Promise<PassResult> => {
    const result = await agent('pulse', '--json');
    expect(result.code, result.stderr).toBe(0);
    return result.json() as PassResult;
  };
  const status = async (): Promise<StatusRow[]> => (await agent('status', '--json')).json() as StatusRow[];
  const issues = () => lab.requestLog().filter((e) => e.operation === 'Issue');
  const out = (template: string, file: string) => join(work, 'agent', 'certs', template, file);
  const subjectOf = (file: string) => openssl(['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253']).stdout.trim();
  const sanOf = (file: string) => openssl(['x509', '-in', file, '-noout', '-ext', 'subjectAltName']).stdout;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-policy-'));
    labDir = join(work, 'lab');
    port = 0;
    [bundle] = await Promise.all([bundleCli(), startWith([WEB, VPN, MAIL])]);
    const user = lab.users[0] as { username: string; password: string };
    env = { LAB_PASSWORD: user.password };
    mkdirSync(join(work, 'agent'));
    config = join(work, 'agent', 'config.yaml');
    // One generic config: no certificate listed, the defaults of the autoenroll section.
    writeFileSync(
      config,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [{ url: lab.endpoint(CEP_USERNAME).url, auth: 'username', username: user.username, password: { env: 'LAB_PASSWORD' } }],
        autoenroll: { enabled: true, key: { algorithm: 'EC', curve: 'P-256' } },
        transport: { connectTimeout: '5s', requestTimeout: '10s' },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the first pass with --dry-run shows what it would add and changes nothing', async () => {
    const result = await agent('pulse', '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(0);
    const pass = result.json() as PassResult;
    expect(pass.dryRun).toBe(true);
    expect(pass.autoenroll?.entries.map((e) => [e.template, e.disposition, e.id])).toEqual([
      ['AutoWeb', 'add', 'auto-AutoWeb'],
      ['AutoVpn', 'add', 'auto-AutoVpn'],
      ['AutoMail', 'skip', 'auto-AutoMail'],
    ]);
    expect(pass.certificates.map((c) => [c.id, c.planned, c.outcome])).toEqual([
      ['auto-AutoWeb', 'enroll/no-certificate', 'nothing-due'],
      ['auto-AutoVpn', 'enroll/no-certificate', 'nothing-due'],
    ]);
    expect(issues()).toEqual([]);
    expect(existsSync(join(work, 'agent', 'state', 'certs'))).toBe(false);
    expect(existsSync(join(work, 'agent', 'state', 'autoenroll.json'))).toBe(false);
    expect(existsSync(join(work, 'agent', 'certs'))).toBe(false);

    // plan (offline, from the policy the dry run cached) says the same before anything is done.
    const plan = (await agent('plan', '--json')).json() as PlanDocument;
    expect(plan.autoenroll?.entries.map((e) => [e.template, e.disposition])).toEqual([['AutoWeb', 'add'], ['AutoVpn', 'add'], ['AutoMail', 'skip']]);
    expect(plan.certificates.map((c) => [c.id, c.action, c.reason, c.targetTemplate])).toEqual([
      ['auto-AutoWeb', 'enroll', 'no-certificate', 'AutoWeb'],
      ['auto-AutoVpn', 'enroll', 'no-certificate', 'AutoVpn'],
    ]);
    const text = await agent('plan');
    expect(text.stdout).toContain('autoenroll AutoMail: skip as auto-AutoMail — the policy does not grant autoEnroll on the template');
  }, 120_000);

  it('a pass enrolls exactly the two templates that grant autoEnroll, with the default subject, into their folders', async () => {
    const pass = await pulse();
    expect(pass.certificates.map((c) => [c.id, c.action, c.outcome])).toEqual([
      ['auto-AutoWeb', 'enroll', 'issued'],
      ['auto-AutoVpn', 'enroll', 'issued'],
    ]);
    const sent = issues().map((e) => [e.template, e.outcome, e.endpoint]);
    expect(sent.sort()).toEqual([
      ['AutoVpn', 'issued', CES_USERNAME],
      ['AutoWeb', 'issued', CES_USERNAME],
    ]);
    for (const template of ['AutoWeb', 'AutoVpn']) {
      expect(subjectOf(out(template, 'cert.pem'))).toBe(`subject=CN=${fqdn}`);
      expect(sanOf(out(template, 'cert.pem'))).toContain(`DNS:${fqdn}`);
      expect(keyMatchesCert(out(template, 'cert.pem'), out(template, 'key.pem'))).toBe(true);
      expect(existsSync(out(template, 'chain.pem')) && existsSync(out(template, 'fullchain.pem'))).toBe(true);
    }
    expect(existsSync(join(work, 'agent', 'certs', 'AutoMail'))).toBe(false);
    const rows = await status();
    expect(rows.map((r) => [r.id, r.state, r.template, r.autoenroll?.disposition])).toEqual([
      ['auto-AutoWeb', 'VALID', 'AutoWeb', 'keep'],
      ['auto-AutoVpn', 'VALID', 'AutoVpn', 'keep'],
    ]);
  }, 120_000);

  it('granting autoEnroll on the third template (lab restart) adds it on the next pass', async () => {
    await restartWith([WEB, VPN, { ...MAIL, autoEnroll: true }]);
    const pass = await pulse();
    expect(pass.certificates.map((c) => [c.id, c.action, c.outcome])).toEqual([
      ['auto-AutoWeb', 'none', 'nothing-due'],
      ['auto-AutoVpn', 'none', 'nothing-due'],
      ['auto-AutoMail', 'enroll', 'issued'],
    ]);
    expect(issues().map((e) => e.template)).toEqual(['AutoMail']);
    expect(subjectOf(out('AutoMail', 'cert.pem'))).toBe(`subject=CN=${fqdn}`);
  }, 120_000);

  it('a superseding template published: the next pass enrolls on it (a new enrollment), archives the old one, status says superseded', async () => {
    const oldCert = readFileSync(out('AutoWeb', 'cert.pem'), 'utf8');
    await restartWith([WEB, VPN, { ...MAIL, autoEnroll: true }, WEB2]);
    const plan = (await agent('plan', '--json')).json() as PlanDocument;
    // plan reads the cached policy, which predates the new template: nothing moves yet.
    expect(plan.autoenroll?.entries.find((e) => e.template === 'AutoWeb')?.disposition).toBe('keep');

    const pass = await pulse();
    expect(pass.certificates.map((c) => [c.id, c.action, c.outcome])).toEqual([
      ['auto-AutoWeb', 'none', 'nothing-due'],
      ['auto-AutoVpn', 'none', 'nothing-due'],
      ['auto-AutoMail', 'none', 'nothing-due'],
      ['auto-AutoWeb2', 'enroll', 'issued'],
    ]);
    // A new enrollment with credentials on the superseding template, not a key-based renewal.
    expect(issues().map((e) => [e.template, e.endpoint, e.auth.startsWith('username:')])).toEqual([['AutoWeb2', CES_USERNAME, true]]);
    expect(pass.autoenroll?.entries.find((e) => e.template === 'AutoWeb')).toMatchObject({ disposition: 'archived', reason: 'superseded', supersededBy: 'AutoWeb2', successorId: 'auto-AutoWeb2' });
    expect(pass.autoenroll?.entries.find((e) => e.template === 'AutoWeb2')).toMatchObject({ disposition: 'add', reason: 'supersedes', supersedes: ['AutoWeb'] });
    expect(subjectOf(out('AutoWeb2', 'cert.pem'))).toBe(`subject=CN=${fqdn}`);
    // The old certificate is kept where it was, untouched.
    expect(readFileSync(out('AutoWeb', 'cert.pem'), 'utf8')).toBe(oldCert);

    const rows = await status();
    const old = rows.find((r) => r.id === 'auto-AutoWeb');
    expect(old).toMatchObject({ state: 'VALID', next: 'keep/superseded', autoenroll: { disposition: 'archived', reason: 'superseded', supersededBy: 'AutoWeb2' } });
    expect(old?.message).toContain('superseded by template AutoWeb2');
    const text = await agent('status');
    expect(text.stdout).toMatch(/auto-AutoWeb: archived: superseded by template AutoWeb2/);
    const planText = await agent('plan');
    expect(planText.stdout).toMatch(/auto-AutoWeb: kept, not renewed: superseded by template AutoWeb2/);

    // A later pass renews nothing on the old template.
    const again = await pulse();
    expect(again.certificates.map((c) => c.id)).not.toContain('auto-AutoWeb');
    expect(issues().length).toBe(1);
  }, 120_000);

  it('a template removed from the policy: its certificate stays in place, reported, never renewed nor deleted', async () => {
    const vpnCert = readFileSync(out('AutoVpn', 'cert.pem'), 'utf8');
    await restartWith([WEB, { ...MAIL, autoEnroll: true }, WEB2]);
    const pass = await pulse();
    expect(pass.certificates.map((c) => c.id)).not.toContain('auto-AutoVpn');
    expect(pass.autoenroll?.entries.find((e) => e.template === 'AutoVpn')).toMatchObject({ disposition: 'stop', reason: 'template-not-in-policy' });
    expect(issues()).toEqual([]);
    expect(readFileSync(out('AutoVpn', 'cert.pem'), 'utf8')).toBe(vpnCert);
    expect(readdirSync(join(work, 'agent', 'state', 'certs', 'auto-AutoVpn'))).toContain('current');

    const row = (await status()).find((r) => r.id === 'auto-AutoVpn');
    expect(row).toMatchObject({ state: 'VALID', next: 'keep/template-not-in-policy', autoenroll: { disposition: 'stop', reason: 'template-not-in-policy' } });
    expect(row?.message).toContain('kept until it expires');
    expect(row?.nextAt).toBe(row?.notAfter);
    // Even when its renewal window opens, the plan keeps it and does not renew it.
    const plan = (await agent('plan', '--at', '+55m', '--json')).json() as PlanDocument;
    expect(plan.certificates.find((c) => c.id === 'auto-AutoVpn')).toMatchObject({ action: 'keep', reason: 'template-not-in-policy' });
    expect(plan.certificates.find((c) => c.id === 'auto-AutoMail')).toMatchObject({ action: 'renew' });
  }, 120_000);

  it('configured certificates work beside it and win on conflicts; the deny list and a pinned {fqdn} apply', async () => {
    const user = lab.users[0] as { username: string; password: string };
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    const mixed = join(dir, 'config.yaml');
    writeFileSync(
      mixed,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [{ url: lab.endpoint(CEP_USERNAME).url, auth: 'username', username: user.username, password: { env: 'LAB_PASSWORD' } }],
        certificates: [
          { id: 'mail', template: 'AutoMail', subject: 'CN=mail.explicit.test', dns: ['mail.explicit.test'], key: { algorithm: 'EC', curve: 'P-256' }, output: { cert: './out/mail.pem', key: './out/mail.key' } },
        ],
        autoenroll: { templates: { deny: ['autoweb2'] }, fqdn: 'pinned.lab.test', key: { algorithm: 'EC', curve: 'P-256' } },
      }),
    );
    const result = await runBundle(bundle, ['--config', mixed, 'pulse', '--json'], env, 60_000);
    expect(result.code, result.stderr).toBe(0);
    const pass = JSON.parse(result.stdout) as PassResult;
    expect(pass.autoenroll?.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([
      ['AutoWeb', 'add', 'autoenroll-granted'],
      ['AutoMail', 'skip', 'explicit'],
      ['AutoWeb2', 'skip', 'not-allowed-by-config'],
    ]);
    expect(pass.certificates.map((c) => [c.id, c.outcome])).toEqual([['mail', 'issued'], ['auto-AutoWeb', 'issued']]);
    expect(issues().map((e) => e.template).sort()).toEqual(['AutoMail', 'AutoWeb']);
    expect(subjectOf(join(dir, 'out', 'mail.pem'))).toBe('subject=CN=mail.explicit.test');
    expect(subjectOf(join(dir, 'certs', 'AutoWeb', 'cert.pem'))).toBe('subject=CN=pinned.lab.test');
  }, 120_000);
});
