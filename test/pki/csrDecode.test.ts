import { describe, expect, it } from 'vitest';
import { decodeCsr } from '../../src/pki/csrDecode.js';
import { InputError } from '../../src/errors.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const fromPem = (pem: string): Uint8Array => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
const fromBase64 = (text: string): Uint8Array => Buffer.from(text.replace(/\s/g, ''), 'base64');

describe.skipIf(!hasSharedFixtures)('decodeCsr on real requests', () => {
  it('reads the certmonger request from cepces: subject, SANs, template name Machine, valid signature', () => {
    const csr = decodeCsr(fromPem(readSharedFixtureText('cepces', 'CERTMONGER_CSR_fedora2.pem')));
    expect(csr.subject).toBe('CN=fedora2');
    expect(Buffer.from(csr.subjectDer).toString('hex')).toBe('30123110300e060355040313076665646f726132');
    expect(csr.templateName).toBe('Machine');
    expect(csr.san).toEqual({ dns: ['fedora2'], ip: [], upn: ['host/fedora2@MARS.MILKYWAY.SITE'], email: [] });
    expect(csr.signatureAlgorithmOid).toBe('1.2.840.113549.1.1.11');
    expect(csr.signatureValid).toBe(true);
    expect(csr.extensions.find((e) => e.oid === '2.5.29.19')?.critical).toBe(true);
    expect(csr.renewalCertificateDer).toBeUndefined();
  });

  it('reads the MS-WSTEP example request: empty subject, BMPString template name User, Windows attributes', () => {
    const csr = decodeCsr(fromBase64(readSharedFixtureText('adcs-rs', 'wstep-rs', 'standard_certificate_client_request.cms')));
    expect(csr.subject).toBe('');
    expect(Array.from(csr.subjectDer)).toEqual([0x30, 0x00]);
    expect(csr.templateName).toBe('User');
    expect(csr.signatureValid).toBe(true);
    expect(csr.attributes.map((a) => a.oid)).toEqual([
      '1.3.6.1.4.1.311.13.2.3',
      '1.3.6.1.4.1.311.21.20',
      '1.3.6.1.4.1.311.13.2.2',
      '1.2.840.113549.1.9.14',
    ]);
    const osVersion = csr.attributes[0]?.valuesDer[0] as Uint8Array;
    expect(Buffer.from(osVersion.subarray(2)).toString('latin1')).toBe('6.1.7053.2');
  });

  it('reports a signature that does not verify once one byte of the signed body changes', () => {
    const der = fromPem(readSharedFixtureText('cepces', 'CERTMONGER_CSR_fedora2.pem'));
    const tampered = Uint8Array.from(der);
    const index = Buffer.from(der).indexOf(Buffer.from('fedora2'));
    tampered[index] = 'F'.charCodeAt(0);
    const csr = decodeCsr(tampered);
    expect(csr.subject).toBe('CN=Fedora2');
    expect(csr.signatureValid).toBe(false);
  });

  it('rejects truncated and trailing bytes with typed errors', () => {
    const der = fromPem(readSharedFixtureText('cepces', 'CERTMONGER_CSR_fedora2.pem'));
    expect(() => decodeCsr(der.subarray(0, der.length - 1))).toThrow(expect.objectContaining({ code: 'ASN1_TRUNCATED' }));
    expect(() => decodeCsr(Buffer.concat([der, Buffer.from([0])]))).toThrow(expect.objectContaining({ code: 'ASN1_TRAILING_DATA' }));
  });
});

describe('decodeCsr on malformed DER', () => {
  it.each([
    ['empty input', [], 'ASN1_TRUNCATED'],
    ['wrong outer tag', [0x31, 0x00], 'ASN1_UNEXPECTED_TAG'],
    ['absurd length', [0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'ASN1_BAD_LENGTH'],
    ['length beyond the input', [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00], 'ASN1_TRUNCATED'],
    ['indefinite length', [0x30, 0x80, 0x00, 0x00], 'ASN1_INDEFINITE_LENGTH'],
    ['empty sequence', [0x30, 0x00], 'ASN1_MISSING_ELEMENT'],
  ])('%s → InputError %s', (_name, bytes, code) => {
    let caught: unknown;
    try {
      decodeCsr(Uint8Array.from(bytes as number[]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).code).toBe(code);
  });
});
