import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPfx } from '../../src/pki/pkcs12.js';
import { buildCsr } from '../../src/pki/csr.js';
import { generateKeyPair, type KeyPair } from '../../src/pki/keys.js';
import { certificatePem, pemDecode } from '../../src/pki/pem.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { createTestCa, type TestCa } from './testCa.js';

describe.skipIf(!hasOpenssl)('buildPfx, opened by openssl 3 without -legacy', () => {
  let ca: TestCa;
  let pair: KeyPair;
  let leafDer: Uint8Array;
  beforeAll(async () => {
    ca = createTestCa();
    pair = await generateKeyPair({ algorithm: 'RSA', bits: 2048 });
    leafDer = ca.issue(await buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: 'CN=pfx.example.com' }));
  });

  it('holds the key and the full chain, AES-256-CBC + PBKDF2-SHA256 with a SHA-256 MAC', async () => {
    const password = 'Pässw0rd with spaces';
    const pfx = await buildPfx({ privateKey: pair.privateKey, certificateDer: leafDer, chainDer: [ca.intermediateDer, ca.rootDer], password, friendlyName: 'autoenroll' });
    const dir = mkdtempSync(join(tmpdir(), 'pfx-'));
    const file = join(dir, 'out.p12');
    writeFileSync(file, pfx);
    const info = openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
    expect(info.status).toBe(0);
    expect(info.stderr).toContain('MAC: sha256');
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    expect(info.stderr).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC/);

    const dump = openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes']);
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain('friendlyName: autoenroll');
    const certificates = pemDecode(dump.stdout, 'CERTIFICATE');
    expect(certificates).toEqual([leafDer, ca.intermediateDer, ca.rootDer]);
    const [keyDer] = pemDecode(dump.stdout, 'PRIVATE KEY');
    expect(Buffer.from(keyDer as Uint8Array).equals(pair.privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
    expect(certificatePem(leafDer)).toContain('BEGIN CERTIFICATE');

    const wrong = openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', 'pass:wrong']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/mac verif|invalid password/i);
  });

  it('refuses an empty password', async () => {
    await expect(buildPfx({ privateKey: pair.privateKey, certificateDer: leafDer, chainDer: [], password: '' })).rejects.toMatchObject({ code: 'PFX_PASSWORD_EMPTY' });
  });
});
