import { describe, expect, it } from 'vitest';
import { certificatesPem, pemDecode, pemDecodeAll, pemEncode, readCertificates } from '../../src/pki/pem.js';
import { InputError } from '../../src/errors.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

describe('PEM', () => {
  it('round-trips several blocks with 64-column lines and ignores text around them', () => {
    const a = Uint8Array.from({ length: 100 }, (_, i) => i);
    const b = Uint8Array.from([0x30, 0x00]);
    const text = `junk\r\n${pemEncode('CERTIFICATE', a).replaceAll('\n', '\r\n')}between\n${pemEncode('X509 CRL', b)}`;
    expect(pemEncode('CERTIFICATE', a).split('\n')[1]).toHaveLength(64);
    expect(pemDecodeAll(text)).toEqual([
      { label: 'CERTIFICATE', der: a },
      { label: 'X509 CRL', der: b },
    ]);
    expect(pemDecode(text, 'X509 CRL')).toEqual([b]);
    expect(certificatesPem([a, b])).toBe(pemEncode('CERTIFICATE', a) + pemEncode('CERTIFICATE', b));
  });

  it('names malformed input', () => {
    expect(() => pemDecode('nothing here', 'CERTIFICATE')).toThrow(expect.objectContaining({ code: 'PEM_NOT_FOUND' }));
    expect(() => pemDecodeAll('-----BEGIN A-----\nAAAA\n-----END B-----')).toThrow(expect.objectContaining({ code: 'PEM_MALFORMED' }));
    expect(() => pemDecodeAll('-----BEGIN A-----\nA*AA\n-----END A-----')).toThrow(InputError);
    expect(() => pemDecodeAll('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----')).toThrow(expect.objectContaining({ code: 'PEM_UNSUPPORTED' }));
  });

  it.skipIf(!hasSharedFixtures)('reads the real CA bundle of the cepces fixtures as PEM or DER', () => {
    const pem = readSharedFixtureText('cepces', 'MARS_ROOT_CA_PEM.pem');
    const [der] = readCertificates(pem);
    expect(der?.[0]).toBe(0x30);
    expect(readCertificates(der as Uint8Array)).toEqual([der]);
  });
});
