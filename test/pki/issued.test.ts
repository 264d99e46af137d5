import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleIssued, parsePkcs7Certificates, readCmcResponse } from '../../src/pki/issued.js';
import { buildCsr } from '../../src/pki/csr.js';
import { describeCertificate } from '../../src/pki/certInfo.js';
import { generateKeyPair, type KeyPair } from '../../src/pki/keys.js';
import { certificatePem, certificatesPem, pemDecode } from '../../src/pki/pem.js';
import { ProtocolError, TrustError } from '../../src/errors.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';
import { createTestCa, type TestCa } from './testCa.js';

const wstep = (name: string): Uint8Array => Buffer.from(readSharedFixtureText('adcs-rs', 'wstep-rs', name).replace(/\s/g, ''), 'base64');
/** The text of the first element with this local name in a capture (base64 may be CRLF-wrapped). */
const elementBase64 = (xml: string, localName: string): Uint8Array => {
  const match = new RegExp(`<(?:\\w+:)?${localName}\\b[^>]*>([^<]*)<`).exec(xml);
  return Buffer.from((match?.[1] ?? '').replace(/\s/g, ''), 'base64');
};

describe.skipIf(!hasSharedFixtures)('readCmcResponse on real responses', () => {
  it('reads status, issued-certificate hash and certificates of the MS-WSTEP issued response', () => {
    const response = readCmcResponse(wstep('standard_certificate_server_response_bst_outer.cms'));
    expect(response.status).toBe('success');
    expect(response.statusString).toBe('Issued');
    expect(Buffer.from(response.issuedCertHashSha1 ?? []).toString('hex').toUpperCase()).toBe('58ACD78E7E61B11AD73B2C6B41BADCA9100FAF8E');
    expect(response.certificates.map((der) => describeCertificate(der).subject)).toEqual([
      'CN=FB_EntRootCA,OU=Microsoft PKI Team',
      'CN=FB_EntSubCA,OU=Microsoft PKI Team',
      'E=abby@D9-1351C0406A.NTTEST.MICROSOFT.COM,CN=abby,CN=Users,DC=d9-1351C0406A,DC=nttest,DC=microsoft,DC=com',
    ]);
  });

  it('reads pending (with the request ID as pend token) and failed statuses from adcs_python', () => {
    const pendingXml = readSharedFixtureText('adcs_python', 'captures', '05-issue-pending.response.xml');
    const pending = readCmcResponse(elementBase64(pendingXml, 'BinarySecurityToken'));
    expect(pending.status).toBe('pending');
    expect(pendingXml).toContain(Buffer.from(pending.pendToken ?? []).toString('latin1'));
    const denied = readCmcResponse(elementBase64(readSharedFixtureText('adcs_python', 'captures', '09-query-denied.response.xml'), 'BinaryResponse'));
    expect(denied.status).toBe('failed');
  });

  it('assembles leaf and chain and checks the CMC hash', () => {
    const leafDer = wstep('standard_certificate_server_response_bst_inner.cms');
    const pkcs7Der = wstep('standard_certificate_server_response_bst_outer.cms');
    const expectedPublicKeySpkiDer = describeCertificate(leafDer).publicKeySpkiDer;
    const root = readCmcResponse(pkcs7Der).certificates[0] as Uint8Array;
    const issued = assembleIssued({ leafDer, pkcs7Der, expectedPublicKeySpkiDer, trustAnchorsPem: [certificatePem(root)] });
    expect(issued.chainDer.map((der) => describeCertificate(der).subject)).toEqual(['CN=FB_EntSubCA,OU=Microsoft PKI Team', 'CN=FB_EntRootCA,OU=Microsoft PKI Team']);
    expect(issued.anchored).toBe(true);
    expect(issued.thumbprintSha1).toBe('58ACD78E7E61B11AD73B2C6B41BADCA9100FAF8E');
    // The renewal response's leaf is another certificate: the CMC hash of the issue response does not match it.
    const other = wstep('renewal_server_response_bst_inner.cms');
    expect(() => assembleIssued({ leafDer: other, pkcs7Der, expectedPublicKeySpkiDer: describeCertificate(other).publicKeySpkiDer })).toThrow(
      expect.objectContaining({ code: 'ISSUED_HASH_MISMATCH' }),
    );
  });

  it('rejects the truncated renewal response as a protocol error', () => {
    expect(() => parsePkcs7Certificates(wstep('renewal_server_response_bst_outer.cms'))).toThrow(ProtocolError);
  });
});

describe.skipIf(!hasOpenssl)('assembleIssued with a test CA', () => {
  let ca: TestCa;
  let pair: KeyPair;
  let leafDer: Uint8Array;
  let pkcs7Der: Uint8Array;
  const spki = (): Uint8Array => new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));

  beforeAll(async () => {
    ca = createTestCa();
    pair = await generateKeyPair({ algorithm: 'EC', curve: 'P-256' });
    leafDer = ca.issue(await buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: 'CN=leaf.example.com' }));
    const bundle = join(ca.dir, 'bundle.pem');
    writeFileSync(bundle, certificatesPem([ca.rootDer, leafDer, ca.intermediateDer]));
    const result = openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle]);
    expect(result.status).toBe(0);
    pkcs7Der = pemDecode(result.stdout, 'PKCS7')[0] as Uint8Array;
  });

  it('finds our certificate in a certs-only PKCS#7, orders the chain issuer first, and openssl verify accepts it', () => {
    const issued = assembleIssued({ pkcs7Der, expectedPublicKeySpkiDer: spki(), trustAnchorsPem: [ca.rootPem] });
    expect(issued.leafDer).toEqual(leafDer);
    expect(issued.chainDer).toEqual([ca.intermediateDer, ca.rootDer]);
    expect(issued.anchored).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'issued-'));
    writeFileSync(join(dir, 'root.pem'), ca.rootPem);
    writeFileSync(join(dir, 'chain.pem'), certificatesPem(issued.chainDer.slice(0, -1)));
    writeFileSync(join(dir, 'leaf.pem'), certificatePem(issued.leafDer));
    const verify = openssl(['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')]);
    expect(verify.stdout.trim()).toBe(`${join(dir, 'leaf.pem')}: OK`);
    expect(openssl(['x509', '-noout', '-fingerprint', '-sha1'], certificatePem(issued.leafDer)).stdout.trim()).toBe(
      `sha1 Fingerprint=${issued.thumbprintSha1.match(/../g)?.join(':')}`,
    );
  });

  it('completes the chain from the policy CA certificates and an anchor that is only configured', () => {
    const issued = assembleIssued({ leafDer, caCertificatesDer: [ca.intermediateDer], expectedPublicKeySpkiDer: spki(), trustAnchorsPem: [ca.rootPem] });
    expect(issued.chainDer).toEqual([ca.intermediateDer, ca.rootDer]);
    const unanchored = assembleIssued({ leafDer, caCertificatesDer: [ca.intermediateDer], expectedPublicKeySpkiDer: spki() });
    expect(unanchored.anchored).toBe(false);
    expect(unanchored.chainDer).toEqual([ca.intermediateDer]);
  });

  it('refuses a certificate for another key', async () => {
    const other = await generateKeyPair({ algorithm: 'EC', curve: 'P-256' });
    const otherSpki = new Uint8Array(other.publicKey.export({ type: 'spki', format: 'der' }));
    expect(() => assembleIssued({ leafDer, expectedPublicKeySpkiDer: otherSpki })).toThrow(expect.objectContaining({ code: 'ISSUED_KEY_MISMATCH' }));
    expect(() => assembleIssued({ pkcs7Der, expectedPublicKeySpkiDer: otherSpki })).toThrow(expect.objectContaining({ code: 'ISSUED_KEY_MISMATCH' }));
  });

  it('refuses a chain that does not reach the configured anchors', () => {
    const stranger = createTestCa();
    let caught: unknown;
    try {
      assembleIssued({ pkcs7Der, expectedPublicKeySpkiDer: spki(), trustAnchorsPem: [stranger.rootPem] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TrustError);
    expect((caught as TrustError).code).toBe('ISSUED_CHAIN_UNTRUSTED');
  });
});
