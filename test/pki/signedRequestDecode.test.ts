import { describe, expect, it } from 'vitest';
import { decodeSignedRequest } from '../../src/pki/signedRequestDecode.js';
import { decodeCsr } from '../../src/pki/csrDecode.js';
import { describeCertificate } from '../../src/pki/certInfo.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const fixture = (name: string): Uint8Array => Buffer.from(readSharedFixtureText('adcs-rs', 'wstep-rs', name).replace(/\s/g, ''), 'base64');

describe.skipIf(!hasSharedFixtures)('decodeSignedRequest on the MS-WSTEP renewal example', () => {
  it('finds the PKCS#10, the old certificate and a valid issuerAndSerialNumber signer made with its key', () => {
    const request = decodeSignedRequest(fixture('renewal_client_request.cms'));
    expect(request.format).toBe('cms');
    expect(request.certificates).toHaveLength(1);
    expect(request.signers).toHaveLength(1);
    const [signer] = request.signers;
    expect(signer?.sidKind).toBe('issuerAndSerial');
    expect(signer?.signatureValid).toBe(true);
    expect(signer?.certificateDer).toEqual(request.certificates[0]);

    const csr = decodeCsr(request.csrDer);
    expect(csr.subject).toBe('E=abby@D9-1351C0406A.NTTEST.MICROSOFT.COM,CN=abby,CN=Users,DC=d9-1351C0406A,DC=nttest,DC=microsoft,DC=com');
    expect(csr.renewalCertificateDer).toEqual(request.certificates[0]);
    const old = describeCertificate(csr.renewalCertificateDer as Uint8Array);
    expect(old.serialHex).toBe('18D9DF0600000000003E');
    expect(old.issuer).toBe('CN=FB_EntSubCA,OU=Microsoft PKI Team');
    // the request's subject is the old certificate's, byte for byte
    expect(csr.subjectDer).toEqual(old.subjectDer);
  });

  it('reports an invalid signature when the signed PKCS#10 is altered', () => {
    const der = Uint8Array.from(fixture('renewal_client_request.cms'));
    const index = Buffer.from(der).indexOf(Buffer.from('abby'));
    der[index] = 'A'.charCodeAt(0);
    const request = decodeSignedRequest(der);
    expect(request.signers[0]?.signatureValid).toBe(false);
  });

  it('rejects the spec text token that lost a base64 line with a typed error', () => {
    expect(() => decodeSignedRequest(fixture('renewal_server_response_bst_outer.cms'))).toThrow(expect.objectContaining({ code: 'ASN1_TRUNCATED' }));
  });

  it('rejects a certificate or a bare PKCS#10 where a SignedData is expected', () => {
    expect(() => decodeSignedRequest(fixture('standard_certificate_client_request.cms'))).toThrow(expect.objectContaining({ name: 'InputError' }));
    expect(() => decodeSignedRequest(fixture('renewal_server_response_bst_inner.cms'))).toThrow(expect.objectContaining({ name: 'InputError' }));
  });
});
