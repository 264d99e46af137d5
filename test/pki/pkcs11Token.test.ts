// Keys generated in a SoftHSM token: attributes (sensitive, not extractable, on the token), the
// public key read back, PKCS#10 and renewal CMS/CMC signed through C_Sign and verified by openssl,
// and the typed errors of a missing module, a missing token, a wrong PIN and a deleted object.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/pki/csr.js';
import { closeTokens, destroyTokenKey, generateTokenKey, openToken, privateKeyProtection, tokenPublicKey, type TokenSession } from '../../src/pki/pkcs11Token.js';
import { buildRenewalRequest } from '../../src/pki/renewalRequest.js';
import { decodeSignedRequest } from '../../src/pki/signedRequestDecode.js';
import { resolveSigningKey, type TokenKey } from '../../src/pki/signingKey.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { createTestToken, hasSoftHsm, pkcs11Tool, type TestToken } from '../helpers/softhsm.js';
import { createTestCa } from './testCa.js';
import type { KeySpec } from '../../src/pki/keys.js';

describe.skipIf(!hasSoftHsm || !hasOpenssl)('keys in a PKCS#11 token (SoftHSM)', () => {
  let token: TestToken;
  let session: TokenSession;
  const dir = mkdtempSync(join(tmpdir(), 'pkcs11-'));

  beforeAll(() => {
    token = createTestToken('unit');
    session = openToken({ module: token.module, uri: 'pkcs11:token=unit', pin: token.pin });
  });
  afterAll(() => closeTokens());

  const specs: KeySpec[] = [
    { algorithm: 'RSA', bits: 2048 },
    { algorithm: 'RSA', bits: 3072 },
    { algorithm: 'EC', curve: 'P-256' },
    { algorithm: 'EC', curve: 'P-384' },
  ];
  for (const spec of specs) {
    it(`generates ${spec.algorithm === 'RSA' ? `RSA ${spec.bits}` : spec.curve} in the token, sensitive and not extractable, and signs a PKCS#10 openssl verifies`, async () => {
      const created = await generateTokenKey(session, spec, `unit-${spec.algorithm}-${spec.algorithm === 'RSA' ? spec.bits : spec.curve}`);
      expect(created.uri).toMatch(/^pkcs11:token=unit;object=unit-.*;id=(%[0-9a-f]{2}){16}$/);
      expect(privateKeyProtection(session, created.uri)).toEqual({ sensitive: true, extractable: false, token: true });
      const key = resolveSigningKey(created.uri) as TokenKey;
      expect(key.publicKey.export({ format: 'der', type: 'spki' })).toEqual(created.publicKey.export({ format: 'der', type: 'spki' }));
      const csr = await buildCsr({ privateKey: key, publicKey: key.publicKey, subject: 'CN=token.example.com' });
      const file = join(dir, `${spec.algorithm}.csr`);
      writeFileSync(file, csr);
      const verified = openssl(['req', '-verify', '-noout', '-inform', 'DER', '-in', file]);
      expect(verified.stderr + verified.stdout).toMatch(/verify OK|Certificate request self-signature verify OK/);
      // The public key in the request is the token object's, as pkcs11-tool reads it (this
      // pkcs11-tool cannot convert P-384 public keys).
      if (spec.algorithm === 'EC' && spec.curve === 'P-384') return;
      const exported = pkcs11Tool(token, ['--read-object', '--type', 'pubkey', '--label', created.uri.split('object=')[1]!.split(';')[0]!, '-o', join(dir, 'pub.der')]);
      expect(exported.status, exported.stderr).toBe(0);
      const fromTool = openssl(['pkey', '-pubin', '-inform', 'DER', '-in', join(dir, 'pub.der'), '-outform', 'DER']);
      expect(fromTool.status).toBe(0);
      const inCsr = openssl(['req', '-inform', 'DER', '-in', file, '-noout', '-pubkey']).stdout;
      const toolPem = openssl(['pkey', '-pubin', '-inform', 'DER', '-in', join(dir, 'pub.der')]).stdout;
      expect(inCsr).toBe(toolPem);
    });
  }

  it('signs the renewal CMS with the old token key and CMC with both token keys; openssl cms -verify accepts them', async () => {
    const ca = createTestCa();
    const oldObject = await generateTokenKey(session, { algorithm: 'RSA', bits: 2048 }, 'unit-old');
    const oldKey = resolveSigningKey(oldObject.uri) as TokenKey;
    const oldCert = ca.issue(await buildCsr({ privateKey: oldKey, publicKey: oldKey.publicKey, subject: 'CN=renew.example.com' }), []);
    const newObject = await generateTokenKey(session, { algorithm: 'EC', curve: 'P-256' }, 'unit-new');
    const newKey = resolveSigningKey(newObject.uri) as TokenKey;
    for (const format of ['cms', 'cmc'] as const) {
      const der = await buildRenewalRequest({ oldCertificateDer: oldCert, oldPrivateKey: oldKey, newPrivateKey: newKey, newPublicKey: newKey.publicKey, format });
      const input = join(dir, `renew-${format}.der`);
      writeFileSync(input, der);
      const result = openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', input, '-out', join(dir, 'content.der')]);
      if (format === 'cms') {
        expect(result.stderr).toContain('Verification successful');
        // The signed content is the PKCS#10 of the new token key, and openssl verifies it too.
        const csr = openssl(['req', '-verify', '-noout', '-inform', 'DER', '-in', join(dir, 'content.der')]);
        expect(csr.stderr + csr.stdout).toMatch(/verify OK/);
        expect(readFileSync(join(dir, 'content.der')).length).toBeGreaterThan(200);
      } else {
        // openssl cannot find a certificate for the subjectKeyIdentifier signer (the new key); both signatures are checked here.
        expect(decodeSignedRequest(der).signers).toEqual([
          { sidKind: 'subjectKeyIdentifier', signatureValid: true },
          { sidKind: 'issuerAndSerial', signatureValid: true, certificateDer: oldCert },
        ]);
      }
    }
  });

  it('reports a deleted key object as PKCS11_KEY_MISSING with the fix', async () => {
    const created = await generateTokenKey(session, { algorithm: 'EC', curve: 'P-256' }, 'unit-deleted');
    expect(destroyTokenKey(session, created.uri)).toBe(true);
    expect(() => tokenPublicKey(session, created.uri)).toThrow(expect.objectContaining({ code: 'PKCS11_KEY_MISSING', message: expect.stringContaining('autoenroll enroll') }));
  });

  it('reports a wrong PIN, a missing token and a missing module as typed errors naming the fix', () => {
    const other = createTestToken('pin-test', '111111');
    closeTokens();
    process.env.SOFTHSM2_CONF = other.conf;
    expect(() => openToken({ module: other.module, uri: 'pkcs11:token=pin-test', pin: '999999' })).toThrow(expect.objectContaining({ code: 'PKCS11_PIN_WRONG', exitCode: 4 }));
    expect(() => openToken({ module: other.module, uri: 'pkcs11:token=absent', pin: '111111' })).toThrow(expect.objectContaining({ code: 'PKCS11_TOKEN_MISSING', message: expect.stringContaining('"pin-test"') }));
    expect(() => openToken({ module: '/nonexistent/libpkcs11.so', uri: 'pkcs11:token=pin-test', pin: '111111' })).toThrow(expect.objectContaining({ code: 'PKCS11_MODULE_MISSING', exitCode: 4 }));
    closeTokens();
    process.env.SOFTHSM2_CONF = token.conf;
    session = openToken({ module: token.module, uri: 'pkcs11:token=unit', pin: token.pin });
  });
});
