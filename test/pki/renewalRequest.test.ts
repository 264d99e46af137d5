import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCsr } from '../../src/pki/csr.js';
import { buildRenewalRequest } from '../../src/pki/renewalRequest.js';
import { decodeSignedRequest } from '../../src/pki/signedRequestDecode.js';
import { decodeCsr } from '../../src/pki/csrDecode.js';
import { describeCertificate } from '../../src/pki/certInfo.js';
import { generateKeyPair, type KeyPair } from '../../src/pki/keys.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { createTestCa } from './testCa.js';

const template = { oid: '1.3.6.1.4.1.311.21.8.1.2.3', majorVersion: 100, minorVersion: 5 };

describe.skipIf(!hasOpenssl)('buildRenewalRequest', () => {
  let old: KeyPair;
  let oldCertificateDer: Uint8Array;
  let next: KeyPair;
  const dir = mkdtempSync(join(tmpdir(), 'renewal-'));

  beforeAll(async () => {
    const ca = createTestCa();
    old = await generateKeyPair({ algorithm: 'RSA', bits: 2048 });
    next = await generateKeyPair({ algorithm: 'EC', curve: 'P-256' });
    const csr = await buildCsr({ privateKey: old.privateKey, publicKey: old.publicKey, subject: 'CN=host1.example.com,O=Example,DC=example,DC=com', template });
    oldCertificateDer = ca.issue(csr, [
      'subjectAltName=DNS:host1.example.com',
      '1.3.6.1.4.1.311.21.7=DER:3011060a2b0601040182371508010203020164',
    ]);
  });

  /** openssl cms -verify -noverify: signature check with the certificate carried in the message. */
  function opensslVerify(der: Uint8Array): { content: Buffer; signer: string } {
    const input = join(dir, 'req.der');
    writeFileSync(input, der);
    const result = openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', input, '-out', join(dir, 'content.der'), '-signer', join(dir, 'signer.pem')]);
    expect(result.stderr).toContain('Verification successful');
    return { content: readFileSync(join(dir, 'content.der')), signer: readFileSync(join(dir, 'signer.pem'), 'utf8') };
  }

  it('CMS over a PKCS#10 with a new key, the old certificate attached and signed by the old key (openssl cms -verify)', async () => {
    const der = await buildRenewalRequest({ oldCertificateDer, oldPrivateKey: old.privateKey, newPrivateKey: next.privateKey, newPublicKey: next.publicKey, template, templateName: 'Machine' });
    const { content, signer } = opensslVerify(der);
    const oldInfo = describeCertificate(oldCertificateDer);
    expect(signer).toContain(Buffer.from(oldCertificateDer).toString('base64').slice(0, 64));

    expect(openssl(['req', '-verify', '-noout', '-inform', 'DER'], content).stderr).toMatch(/verify OK/i);
    const csr = decodeCsr(content);
    expect(csr.renewalCertificateDer).toEqual(oldCertificateDer);
    expect(csr.subjectDer).toEqual(oldInfo.subjectDer);
    expect(csr.publicKeySpkiDer).toEqual(new Uint8Array(next.publicKey.export({ type: 'spki', format: 'der' })));
    expect(csr.template).toEqual(template);
    expect(openssl(['req', '-noout', '-text', '-inform', 'DER'], content).stdout).toContain('1.3.6.1.4.1.311.13.1');

    const decoded = decodeSignedRequest(der);
    expect(decoded.format).toBe('cms');
    expect(decoded.certificates).toEqual([oldCertificateDer]);
    expect(decoded.signers).toEqual([{ sidKind: 'issuerAndSerial', signatureValid: true, certificateDer: oldCertificateDer }]);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], Buffer.from(der)).stdout;
    expect(printed).toContain('eContentType: pkcs7-data');
    expect(printed).toContain('version: 1');
    expect(printed).toMatch(/signedAttrs:\s*<ABSENT>/);
  });

  it('renews with the same key when no new key is given', async () => {
    const der = await buildRenewalRequest({ oldCertificateDer, oldPrivateKey: old.privateKey });
    const csr = decodeCsr(opensslVerify(der).content);
    expect(csr.publicKeySpkiDer).toEqual(describeCertificate(oldCertificateDer).publicKeySpkiDer);
    expect(csr.signatureValid).toBe(true);
  });

  it('copies the old SAN when the template says the old certificate supplies it', async () => {
    const der = await buildRenewalRequest({ oldCertificateDer, oldPrivateKey: old.privateKey, newPrivateKey: next.privateKey, copyOldSan: true });
    expect(decodeCsr(decodeSignedRequest(der).csrDer).san.dns).toEqual(['host1.example.com']);
  });

  it('CMC form: PKIData with the PKCS#10, a subjectKeyIdentifier signer for the new key, then the old key', async () => {
    const der = await buildRenewalRequest({ oldCertificateDer, oldPrivateKey: old.privateKey, newPrivateKey: next.privateKey, newPublicKey: next.publicKey, templateName: 'Machine', format: 'cmc' });
    const decoded = decodeSignedRequest(der);
    expect(decoded.format).toBe('cmc');
    expect(decoded.signers).toEqual([
      { sidKind: 'subjectKeyIdentifier', signatureValid: true },
      { sidKind: 'issuerAndSerial', signatureValid: true, certificateDer: oldCertificateDer },
    ]);
    expect(decodeCsr(decoded.csrDer).renewalCertificateDer).toEqual(oldCertificateDer);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], Buffer.from(der)).stdout;
    expect(printed).toContain('eContentType: id-cct-PKIData');
    expect(printed).toContain('messageDigest');
    // openssl checks the old key's signer (it cannot find a certificate for the subjectKeyIdentifier one).
    const oldOnly = openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-out', '/dev/null'], Buffer.from(der));
    expect(oldOnly.stderr).toMatch(/signer certificate not found/i);
  });

  it('refuses to sign with a key that is not the old certificate key', async () => {
    await expect(buildRenewalRequest({ oldCertificateDer, oldPrivateKey: next.privateKey })).rejects.toMatchObject({ code: 'RENEWAL_KEY_MISMATCH' });
  });
});
