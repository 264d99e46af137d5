import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCertificate } from '../../src/pki/certInfo.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const fixture = (name: string): Uint8Array => Buffer.from(readSharedFixtureText('adcs-rs', 'wstep-rs', name).replace(/\s/g, ''), 'base64');

describe.skipIf(!hasSharedFixtures)('describeCertificate on the MS-WSTEP issued certificate', () => {
  it('reads subject, issuer, serial, validity, SANs, template name and Windows thumbprints', () => {
    const info = describeCertificate(fixture('standard_certificate_server_response_bst_inner.cms'));
    expect(info.subject).toBe('E=abby@D9-1351C0406A.NTTEST.MICROSOFT.COM,CN=abby,CN=Users,DC=d9-1351C0406A,DC=nttest,DC=microsoft,DC=com');
    expect(info.issuer).toBe('CN=FB_EntSubCA,OU=Microsoft PKI Team');
    expect(info.serialHex).toBe('18D9D5D300000000003D');
    expect(info.notBefore.toISOString()).toBe('2009-03-05T18:25:45.000Z');
    expect(info.notAfter.toISOString()).toBe('2010-03-05T18:25:45.000Z');
    expect(info.templateName).toBe('User');
    expect(info.san.upn).toEqual(['abby@d9-1351C0406A.nttest.microsoft.com']);
    expect(info.san.email).toEqual(['abby@D9-1351C0406A.NTTEST.MICROSOFT.COM']);
    // the CMC response of the same exchange names the issued certificate by this SHA-1 hash
    expect(info.thumbprintSha1).toBe('58ACD78E7E61B11AD73B2C6B41BADCA9100FAF8E');
  });
});

describe.skipIf(!hasOpenssl)('describeCertificate against openssl', () => {
  it('agrees with openssl on a certificate with the template extension, SANs and a GeneralizedTime', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certinfo-'));
    const result = openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      '-subj', '/DC=com/DC=example/O=Ex\\, Inc/CN=host+serialNumber=42', '-multivalue-rdn', '-days', '40000',
      '-addext', 'subjectAltName=DNS:host.example.com,IP:10.0.0.1,IP:2001:db8::1,email:a@example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:host\\$@EXAMPLE.COM',
      '-addext', '1.3.6.1.4.1.311.21.7=DER:300f060a2b060104018237020105020103',
    ]);
    expect(result.stderr).not.toMatch(/error/i);
    const derBytes = Buffer.from(readFileSync(join(dir, 'c.pem'), 'utf8').replace(/-----[^-]+-----/g, ''), 'base64');
    const info = describeCertificate(derBytes);
    expect(info.subject).toBe('SERIALNUMBER=42+CN=host,O=Ex\\, Inc,DC=example,DC=com');
    expect(info.san).toEqual({ dns: ['host.example.com'], ip: ['10.0.0.1', '2001:db8::1'], upn: ['host$@EXAMPLE.COM'], email: ['a@example.com'] });
    expect(info.template).toEqual({ oid: '1.3.6.1.4.1.311.2.1.5', majorVersion: 3 });
    const sha1 = openssl(['x509', '-in', join(dir, 'c.pem'), '-noout', '-fingerprint', '-sha1']).stdout.trim().split('=')[1]?.replaceAll(':', '');
    const serial = openssl(['x509', '-in', join(dir, 'c.pem'), '-noout', '-serial']).stdout.trim().split('=')[1];
    const end = openssl(['x509', '-in', join(dir, 'c.pem'), '-noout', '-enddate']).stdout.trim().split('=')[1] as string;
    expect(info.thumbprintSha1).toBe(sha1);
    expect(info.serialHex).toBe(serial);
    expect(info.notAfter.getTime()).toBe(new Date(end).getTime());
    expect(info.notAfter.getUTCFullYear()).toBeGreaterThan(2050);
  });

  it('rejects something that is not a certificate with a typed error', () => {
    expect(() => describeCertificate(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(expect.objectContaining({ name: 'InputError' }));
  });
});
