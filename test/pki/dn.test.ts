import { describe, expect, it } from 'vitest';
import { encodeDn, parseDn } from '../../src/pki/dn.js';
import { formatName, readName } from '../../src/pki/dnFormat.js';
import { parseDer } from '../../src/pki/der.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';

const roundTrip = (text: string): string => formatName(parseDer(encodeDn(text), 'Name'));

describe('RFC 4514 distinguished names', () => {
  it('encodes RDNs in reverse text order, each its own SET', () => {
    const rdns = readName(parseDer(encodeDn('CN=host,OU=Servers,O=Example,L=Berlin,ST=Berlin,C=DE'), 'Name'));
    expect(rdns.map((rdn) => rdn.map((a) => a.text))).toEqual([['DE'], ['Berlin'], ['Berlin'], ['Example'], ['Servers'], ['host']]);
  });

  it('uses PrintableString for C and SERIALNUMBER, IA5String for DC and E, UTF8String otherwise', () => {
    const rdns = readName(parseDer(encodeDn('CN=Ü,E=a@b.c,DC=com,SERIALNUMBER=7,C=US'), 'Name'));
    expect(rdns.map((rdn) => rdn[0]?.valueDer[0])).toEqual([0x13, 0x13, 0x16, 0x16, 0x0c]);
  });

  it.each([
    ['CN=a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h', 'CN=a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h'],
    ['CN=\\ leading and trailing\\ ', 'CN=\\ leading and trailing\\ '],
    ['CN=\\#hash', 'CN=\\#hash'],
    ['CN=caf\\C3\\A9', 'CN=café'],
    ['cn = spaced ,  o=Org', 'CN=spaced,O=Org'],
    ['emailAddress=a@b.c,serialNumber=1', 'E=a@b.c,SERIALNUMBER=1'],
    ['OID.2.5.4.3=x+2.5.4.10=y', 'CN=x+O=y'],
    ['1.2.3.4=#0c0161', '1.2.3.4=a'],
    ['CN=a;O=b', 'CN=a,O=b'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(roundTrip(input)).toBe(expected);
  });

  it.each(['CN', 'CN=a,', 'FOO=bar', 'CN=a\\', 'CN=a\\q', 'CN=#abc', 'C=DEU', 'CN=a"b', '=x'])('rejects %s', (input) => {
    expect(() => encodeDn(input)).toThrow(expect.objectContaining({ code: 'DN_INVALID' }));
  });

  it('keeps the parsed model in DER order', () => {
    expect(parseDn('CN=a+UID=u,O=b')).toEqual([[{ oid: '2.5.4.10', value: 'b' }], [{ oid: '2.5.4.3', value: 'a' }, { oid: '0.9.2342.19200300.100.1.1', value: 'u' }]]);
  });

  it.skipIf(!hasOpenssl)('agrees with openssl on escaping and multi-valued RDNs', () => {
    const text = 'CN=web\\, one+UID=x,OU=A\\+B,DC=example,DC=com';
    const der = encodeDn(text);
    // one SET per RDN: CN+UID share one, OU, DC, DC have their own
    const shown = openssl(['asn1parse', '-inform', 'DER', '-i'], Buffer.from(der)).stdout;
    expect(shown.match(/SET/g)).toHaveLength(4);
    expect(shown).toContain(':web, one');
    expect(shown).toContain(':A+B');
  });
});
