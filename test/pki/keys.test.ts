import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeySpec, generateKeyPair, keySpecForTemplate, keySpecOf, loadPrivateKey, parseKeySpec, privateKeyToPem, writePrivateKeyFile, type KeySpec } from '../../src/pki/keys.js';
import type { KeyPreference, KeyRequestLabel, TemplateKeyRequirements } from '../../src/pki/keys.js';
import { ConfigError, CredentialError } from '../../src/errors.js';
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
    // an algorithm alone gets its smallest size (or curve) that satisfies the template
    expect(keySpecForTemplate({ minimalKeyLength: 3072 }, { algorithm: 'RSA' })).toEqual({ algorithm: 'RSA', bits: 3072 });
    expect(keySpecForTemplate({ minimalKeyLength: 300 }, { algorithm: 'EC' })).toEqual({ algorithm: 'EC', curve: 'P-384' });
    expect(keySpecForTemplate({ minimalKeyLength: 0, algorithmOid: '1.3.132.0.34' }, { algorithm: 'EC' })).toEqual({ algorithm: 'EC', curve: 'P-384' });
    expect(() => keySpecForTemplate({ minimalKeyLength: 8192 })).toThrow(expect.objectContaining({ code: 'KEY_SPEC_UNSATISFIABLE' }));
  });

  it('never swaps a requested key that the template refuses for another one: a config error naming who, what, the template and the fix', () => {
    const label: KeyRequestLabel = { owner: 'certificate "web"', template: 'WebServer', option: 'certificates[].key of "web"', suggest: formatKeySpec };
    const refused: [TemplateKeyRequirements, KeyPreference, string, string][] = [
      [{ minimalKeyLength: 3072 }, { algorithm: 'RSA', bits: 2048 }, 'rsa:2048', 'a key of at least 3072 bits'],
      [{ minimalKeyLength: 2048 }, { algorithm: 'EC', curve: 'P-256' }, 'ec:p256', 'a key of at least 2048 bits'],
      [{ minimalKeyLength: 2048, algorithmOid: '1.2.840.113549.1.1.1' }, { algorithm: 'EC', curve: 'P-521' }, 'ec:p521', 'an RSA key of at least 2048 bits'],
      [{ minimalKeyLength: 256, algorithmOid: '1.2.840.10045.2.1' }, { algorithm: 'RSA', bits: 4096 }, 'rsa:4096', 'an EC key of at least 256 bits'],
      [{ minimalKeyLength: 0, algorithmOid: '1.3.132.0.34' }, { algorithm: 'EC', curve: 'P-256' }, 'ec:p256', 'an EC key on P-384'],
      [{ minimalKeyLength: 2048, algorithmOid: '1.2.840.113549.1.1.1' }, { algorithm: 'EC' }, 'ec (any curve)', 'an RSA key of at least 2048 bits'],
    ];
    for (const [template, requested, named, requirement] of refused) {
      let error: unknown;
      try {
        keySpecForTemplate(template, requested, label);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const { code, exitCode, message } = error as ConfigError;
      expect({ code, exitCode }).toEqual({ code: 'KEY_SPEC_UNSATISFIABLE', exitCode: 4 });
      expect(message).toContain('certificate "web": the requested key ');
      expect(message).toContain(named);
      expect(message).toContain(`template "WebServer", which requires ${requirement}`);
      expect(message).toMatch(/set certificates\[\]\.key of "web" to \S+ .*or leave certificates\[\]\.key of "web" out/);
    }
    // the fix names a key the template accepts
    expect(() => keySpecForTemplate({ minimalKeyLength: 3072 }, { algorithm: 'RSA', bits: 2048 }, label)).toThrow('set certificates[].key of "web" to rsa:3072');
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
