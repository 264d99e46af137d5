import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeySpec, generateKeyPair, keySpecForTemplate, keySpecOf, loadPrivateKey, parseKeySpec, privateKeyToPem, writePrivateKeyFile, type KeySpec } from '../../src/pki/keys.js';
import { CredentialError } from '../../src/errors.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';

describe('generateKeyPair', () => {
  it.each<KeySpec>([
    { algorithm: 'RSA', bits: 2048 },
    { algorithm: 'RSA', bits: 3072 },
    { algorithm: 'EC', curve: 'P-256' },
    { algorithm: 'EC', curve: 'P-384' },
    { algorithm: 'EC', curve: 'P-521' },
  ])('makes %o keys', async (spec) => {
    const pair = await generateKeyPair(spec);
    expect(keySpecOf(pair.privateKey)).toEqual(spec);
    expect(keySpecOf(pair.publicKey)).toEqual(spec);
    expect(pair.spec).toEqual(spec);
  });
});

describe('key specs', () => {
  it('parses and formats the configuration spellings', () => {
    expect(parseKeySpec('rsa:3072')).toEqual({ algorithm: 'RSA', bits: 3072 });
    expect(parseKeySpec('EC:P-384')).toEqual({ algorithm: 'EC', curve: 'P-384' });
    expect(parseKeySpec('ec:p521')).toEqual({ algorithm: 'EC', curve: 'P-521' });
    expect(formatKeySpec({ algorithm: 'EC', curve: 'P-256' })).toBe('ec:p256');
    for (const bad of ['rsa:1024', 'rsa:8192', 'ec:p192', 'dsa:2048', '', 'rsa']) {
      expect(() => parseKeySpec(bad)).toThrow(expect.objectContaining({ code: 'KEY_SPEC_INVALID' }));
    }
  });

  it('chooses from the template when the configuration does not say or does not satisfy it', () => {
    expect(keySpecForTemplate({ minimalKeyLength: 2048 })).toEqual({ algorithm: 'RSA', bits: 2048 });
    expect(keySpecForTemplate({ minimalKeyLength: 1024, algorithmOid: '1.2.840.113549.1.1.1' })).toEqual({ algorithm: 'RSA', bits: 2048 });
    expect(keySpecForTemplate({ minimalKeyLength: 3000 })).toEqual({ algorithm: 'RSA', bits: 3072 });
    expect(keySpecForTemplate({ minimalKeyLength: 384, algorithmOid: '1.2.840.10045.2.1' })).toEqual({ algorithm: 'EC', curve: 'P-384' });
    expect(keySpecForTemplate({ minimalKeyLength: 256, algorithmOid: '1.3.132.1.12' })).toEqual({ algorithm: 'EC', curve: 'P-256' });
    expect(keySpecForTemplate({ minimalKeyLength: 0, algorithmOid: '1.3.132.0.35' })).toEqual({ algorithm: 'EC', curve: 'P-521' });
    // configuration wins when it satisfies the template
    expect(keySpecForTemplate({ minimalKeyLength: 2048 }, { algorithm: 'RSA', bits: 4096 })).toEqual({ algorithm: 'RSA', bits: 4096 });
    expect(keySpecForTemplate({ minimalKeyLength: 256 }, { algorithm: 'EC', curve: 'P-256' })).toEqual({ algorithm: 'EC', curve: 'P-256' });
    // ...and loses when it does not
    expect(keySpecForTemplate({ minimalKeyLength: 4096 }, { algorithm: 'RSA', bits: 2048 })).toEqual({ algorithm: 'RSA', bits: 4096 });
    expect(keySpecForTemplate({ minimalKeyLength: 2048, algorithmOid: '1.2.840.113549.1.1.1' }, { algorithm: 'EC', curve: 'P-256' })).toEqual({ algorithm: 'RSA', bits: 2048 });
    expect(keySpecForTemplate({ minimalKeyLength: 256, algorithmOid: '1.2.840.10045.2.1' }, { algorithm: 'RSA', bits: 2048 })).toEqual({ algorithm: 'EC', curve: 'P-256' });
    expect(() => keySpecForTemplate({ minimalKeyLength: 8192 })).toThrow(expect.objectContaining({ code: 'KEY_SPEC_UNSATISFIABLE' }));
  });
});

describe('key files', () => {
  it('writes PKCS#8 with mode 0600 through a temp file that does not remain, replacing an old file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const path = join(dir, 'key.pem');
    writeFileSync(path, 'old', { mode: 0o644 });
    const pair = await generateKeyPair({ algorithm: 'EC', curve: 'P-256' });
    await writePrivateKeyFile(path, pair.privateKey);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['key.pem']);
    const pem = readFileSync(path, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(loadPrivateKey(pem).equals(pair.privateKey)).toBe(true);
  });

  it.skipIf(!hasOpenssl)('encrypts with AES-256 under a passphrase, readable by openssl, and names a wrong passphrase', async () => {
    const pair = await generateKeyPair({ algorithm: 'RSA', bits: 2048 });
    const pem = privateKeyToPem(pair.privateKey, 'correct horse');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'k.pem'), pem);
    const parsed = openssl(['asn1parse', '-in', join(dir, 'k.pem')]).stdout;
    expect(parsed).toContain('aes-256-cbc');
    const decrypted = openssl(['pkey', '-in', join(dir, 'k.pem'), '-passin', 'pass:correct horse', '-noout']);
    expect(decrypted.status).toBe(0);
    expect(loadPrivateKey(pem, 'correct horse').equals(pair.privateKey)).toBe(true);
    expect(() => loadPrivateKey(pem, 'wrong')).toThrow(CredentialError);
    expect(() => loadPrivateKey(pem)).toThrow(expect.objectContaining({ code: 'KEY_PASSPHRASE_MISSING' }));
    let message = '';
    try {
      loadPrivateKey(pem, 'wrong-secret-xyz');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('wrong-secret-xyz');
    expect(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(expect.objectContaining({ code: 'KEY_UNREADABLE' }));
  });
});
