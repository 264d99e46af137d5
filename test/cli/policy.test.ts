import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { formatSeconds } from '../../src/cli/commands/policy.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasSharedFixtures, sharedFixturePath } from '../helpers/sharedFixtures.js';

describe.skipIf(!hasSharedFixtures)('autoenroll policy --file (cepces capture)', () => {
  const file = sharedFixturePath('cepces', 'GET_SUPPORTED_TEMPLATES_XML.xml');

  it('prints templates, CAs and enrollment URIs as a table', async () => {
    const ctx = captureContext();
    expect(await runCli(['policy', '--file', file], ctx)).toBe(0);
    const out = ctx.out();
    expect(out).toContain('Policy {DA239A97-1289-4B14-924F-B318D56ED254}');
    expect(out).toMatch(/Machine\s+1\.3\.6\.1\.4\.1\.311\.21\.8\.391007\.\S+\s+1\s+365d\s+42d\s+RSA 2048\s+no\s+no\s+AD\s+yes\s+no\s+0/);
    expect(out).toContain('CN=MARS-ROOT-CA');
    expect(out).toMatch(/1\s+kerberos \(2\)\s+new \+ renewal\s+https:\/\/win-ca01\.mars\.milkyway\.site\/MARS-ROOT-CA_CES_Kerberos\/service\.svc\/CES/);
    expect(ctx.err()).toBe('');
  });

  it('prints one JSON document with --json', async () => {
    const ctx = captureContext();
    expect(await runCli(['--json', 'policy', '--file', file], ctx)).toBe(0);
    const doc = JSON.parse(ctx.out());
    expect(doc).toMatchObject({ source: file, policyId: '{DA239A97-1289-4B14-924F-B318D56ED254}', nextUpdateHours: 8 });
    expect(doc.templates[0]).toMatchObject({ commonName: 'Machine', validitySeconds: 31536000, renewalSeconds: 3628800, flags: { enrollment: { allowKeyBasedRenewal: false } } });
    expect(doc.templates[0].extensions[2]).toEqual({ oid: '2.5.29.15', name: 'Key Usage', oidReference: 7, critical: true, valueBase64: 'AwIFoA==' });
    expect(doc.cas[0]).toMatchObject({ referenceId: 0, subject: expect.stringContaining('MARS-ROOT-CA'), enrollmentUris: [{ authentication: 'kerberos', priority: 1 }] });
    expect(doc.cas[0].certificateBase64).toMatch(/^MIIFrTCCA5Wg/);
  });

  it('accepts --json after the command, as in `autoenroll policy --file R.xml --json`', async () => {
    const ctx = captureContext();
    expect(await runCli(['policy', '--file', file, '--json'], ctx)).toBe(0);
    expect(JSON.parse(ctx.out()).templates[0].commonName).toBe('Machine');
  });

  it('reads a full envelope with KBR flags (adcs_python capture)', async () => {
    const ctx = captureContext();
    expect(await runCli(['policy', '--file', sharedFixturePath('adcs_python', 'captures', '10-kbr-getpolicies-clientcert.response.xml')], ctx)).toBe(0);
    expect(ctx.out()).toMatch(/ADCSPyPending\s+\S+\s+2\s+1h\s+30m\s+RSA 2048\s+yes\s+yes\s+request \+old cert/);
    expect(ctx.out()).toMatch(/certificate \(8\)\s+renewal only/);
  });
});

describe('autoenroll policy errors', () => {
  it('without --file it fetches live, so a missing configuration is a config error naming the file (exit 4)', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'policy-cli-')), 'config.yaml');
    const ctx = captureContext({ env: { ...process.env, AUTOENROLL_CONFIG: missing } });
    expect(await runCli(['policy'], ctx)).toBe(4);
    expect(ctx.err()).toContain(missing);
  });

  it('a missing file, a DOCTYPE and a non-policy document are typed input errors (exit 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
    const cases: [string, string | null, string][] = [
      ['missing.xml', null, 'FILE_UNREADABLE'],
      ['doctype.xml', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', 'XML_DOCTYPE'],
      ['other.xml', '<x xmlns="urn:other"/>', 'XML_UNEXPECTED_ELEMENT'],
    ];
    for (const [name, content, code] of cases) {
      if (content !== null) writeFileSync(join(dir, name), content);
      const ctx = captureContext({ cwd: dir });
      expect(await runCli(['--json', 'policy', '--file', name], ctx)).toBe(4);
      expect(JSON.parse(ctx.out()).error.code).toBe(code);
    }
  });

  it('formats periods in the largest whole unit', () => {
    expect([31536000, 3628800, 7200, 1800, 59, null].map(formatSeconds)).toEqual(['365d', '42d', '2h', '30m', '59s', '-']);
  });
});
