// Key-based renewal through the renewal-only certificate CES: the TLS client certificate is the
// certificate renewed, a new key by default (the same with --reuse-key), the old generation
// archived, output files replaced by rename; and the renewal window with 120 s certificates.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CES_CERTIFICATE, cli, keyMatchesCert, passResult, useAgentLab } from './agentLab.js';

const pubkey = (file: string) => openssl(['x509', '-in', file, '-noout', '-pubkey']).stdout;
const field = (file: string, what: string) => openssl(['x509', '-in', file, '-noout', `-${what}`]).stdout.trim();
describe.skipIf(!hasOpenssl)('renew', () => {
  const env = useAgentLab();

  it('renew --force renews through the certificate CES with the old certificate as TLS client certificate, new key, old generation archived, outputs replaced by rename', async () => {
    const config = env.writeConfig('force', [{ id: 'kbr', template: 'TestInstant' }]);
    const dir = dirname(config);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], env.vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    const first = passResult(enrolled.out).certificates[0]!;
    expect(first).toMatchObject({ outcome: 'issued', generation: 1 });
    const certFile = join(dir, 'out/kbr.pem');
    const keyFile = join(dir, 'out/kbr.key');
    const before = { subject: field(certFile, 'subject'), serial: field(certFile, 'serial'), pubkey: pubkey(certFile), certInode: statSync(certFile).ino, keyInode: statSync(keyFile).ino };

    const renewed = await cli(['--config', config, '--json', 'renew', '--force'], env.vars);
    expect(renewed.code, renewed.err).toBe(0);
    const result = passResult(renewed.out).certificates[0]!;
    expect(result).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2, previousThumbprint: first.thumbprint, endpoint: env.lab.endpoint(CES_CERTIFICATE).url });

    const issue = env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)!;
    expect(issue).toMatchObject({ endpoint: CES_CERTIFICATE, auth: 'certificate', clientCertThumbprint: first.thumbprint, outcome: 'issued' });
    expect(env.lab.requestLog().some((e) => e.endpoint === CEP_CERTIFICATE && e.operation === 'GetPolicies' && e.clientCertThumbprint === first.thumbprint)).toBe(true);

    expect(field(certFile, 'subject')).toBe(before.subject);
    expect(field(certFile, 'serial')).not.toBe(before.serial);
    expect(pubkey(certFile)).not.toBe(before.pubkey);
    expect(keyMatchesCert(certFile, keyFile)).toBe(true);
    // Replaced by rename: new inodes, never rewritten in place; no temp files left beside them.
    expect(statSync(certFile).ino).not.toBe(before.certInode);
    expect(statSync(keyFile).ino).not.toBe(before.keyInode);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['kbr-chain.pem', 'kbr.key', 'kbr.pem']);
    expect((statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
    // The old generation is kept in the archive with its key.
    const archived = join(dir, 'state/certs/kbr/archive/0001');
    expect(readdirSync(archived).sort()).toEqual(['cert.pem', 'chain.pem', 'key.pem', 'meta.json']);
    expect(keyMatchesCert(join(archived, 'cert.pem'), join(archived, 'key.pem'))).toBe(true);
    expect(pubkey(join(archived, 'cert.pem'))).toBe(before.pubkey);
  });

  it('renew --force --reuse-key keeps the key', async () => {
    const config = env.writeConfig('reuse', [{ id: 'same', template: 'TestInstant' }]);
    const dir = dirname(config);
    expect((await cli(['--config', config, 'enroll'], env.vars)).code).toBe(0);
    const certFile = join(dir, 'out/same.pem');
    const key = readFileSync(join(dir, 'out/same.key'), 'utf8');
    const serial = field(certFile, 'serial');
    const renewed = await cli(['--config', config, '--json', 'renew', '--force', '--reuse-key'], env.vars);
    expect(renewed.code, renewed.err).toBe(0);
    expect(passResult(renewed.out).certificates[0]).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2 });
    expect(field(certFile, 'serial')).not.toBe(serial);
    expect(readFileSync(join(dir, 'out/same.key'), 'utf8')).toBe(key);
    expect(keyMatchesCert(certFile, join(dir, 'out/same.key'))).toBe(true);
  });

  it('with 120 s certificates and a 40 s renewal period, renew does nothing before the window and renews inside it', async () => {
    const config = env.writeConfig('window', [{ id: 'win', template: 'TestKBR' }]);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], env.vars);
    expect(enrolled.code, enrolled.err).toBe(5);
    await env.lab.approve(passResult(enrolled.out).certificates[0]!.requestId!);
    expect((await cli(['--config', config, 'retrieve'], env.vars)).code).toBe(0);
    const issuesBefore = env.lab.requestLog().filter((e) => e.operation === 'Issue').length;

    // Window = notAfter − 40 s, but never before half the lifetime: it opens 80 s after issuance.
    const early = await cli(['--config', config, '--json', 'renew'], { ...env.vars, AUTOENROLL_TEST_CLOCK: '+30s' });
    expect(early.code, early.err).toBe(0);
    expect(passResult(early.out).certificates[0]).toMatchObject({ action: 'none', outcome: 'nothing-due', status: 'VALID', generation: 1 });
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue')).toHaveLength(issuesBefore);

    const inside = await cli(['--config', config, '--json', 'renew'], { ...env.vars, AUTOENROLL_TEST_CLOCK: '+90s' });
    expect(inside.code, inside.err).toBe(0);
    expect(passResult(inside.out).certificates[0]).toMatchObject({ action: 'renew', planned: 'renew/in-window', outcome: 'issued', generation: 2 });
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)).toMatchObject({ endpoint: CES_CERTIFICATE, auth: 'certificate' });
  });
});
