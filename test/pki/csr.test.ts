import { beforeAll, describe, expect, it } from 'vitest';
import { buildCsr, type CsrOptions } from '../../src/pki/csr.js';
import { decodeCsr } from '../../src/pki/csrDecode.js';
import { generateKeyPair, type KeyPair, type KeySpec } from '../../src/pki/keys.js';
import { pemEncode } from '../../src/pki/pem.js';
import { readName } from '../../src/pki/dnFormat.js';
import { parseDer } from '../../src/pki/der.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';

const specs: KeySpec[] = [
  { algorithm: 'RSA', bits: 2048 },
  { algorithm: 'EC', curve: 'P-256' },
  { algorithm: 'EC', curve: 'P-384' },
  { algorithm: 'EC', curve: 'P-521' },
];
const keys = new Map<string, KeyPair>();
beforeAll(async () => {
  for (const spec of specs) keys.set(JSON.stringify(spec), await generateKeyPair(spec));
});
const keyFor = (spec: KeySpec): KeyPair => keys.get(JSON.stringify(spec)) as KeyPair;

const full = (pair: KeyPair): CsrOptions => ({
  privateKey: pair.privateKey,
  publicKey: pair.publicKey,
  subject: 'CN=web01.example.com,OU=Servers,O=Example\\, Inc.,DC=example,DC=com',
  san: { dns: ['web01.example.com', 'web01'], ip: ['192.0.2.10', '2001:db8::10'], upn: ['web01$@EXAMPLE.COM'], email: ['ops@example.com'] },
  template: { oid: '1.3.6.1.4.1.311.21.8.1234.5678.1', majorVersion: 100, minorVersion: 4 },
  templateName: 'WebServer',
  policyExtensions: [{ oid: '2.5.29.37', critical: false, valueDer: Uint8Array.from(Buffer.from('300a06082b06010505070301', 'hex')) }],
  clientInfo: { machine: 'web01.example.com', user: 'root', process: 'autoenroll' },
  osVersion: '6.2.9200.2',
  cspName: 'Microsoft Software Key Storage Provider',
});

describe.skipIf(!hasOpenssl)('buildCsr, checked by openssl req -verify', () => {
  it.each([...specs.map((spec) => [spec, false] as const), [{ algorithm: 'RSA', bits: 2048 } as KeySpec, true] as const])(
    '%o (PSS: %s) with template extension, SANs and Windows attributes',
    async (spec, rsaPss) => {
      const der = await buildCsr({ ...full(keyFor(spec)), rsaPss });
      const result = openssl(['req', '-verify', '-noout', '-text', '-inform', 'DER'], Buffer.from(der));
      expect(result.stderr).toMatch(/verify OK/i);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('1.3.6.1.4.1.311.21.7');
      expect(result.stdout).toContain('UPN::web01$@EXAMPLE.COM');
      expect(result.stdout).toContain('IP Address:2001:DB8:0:0:0:0:0:10');
      expect(result.stdout).toContain('email:ops@example.com');
      expect(result.stdout).toContain('DNS:web01.example.com');
      expect(result.stdout).toContain('IP Address:192.0.2.10');
      expect(result.stdout).toContain('TLS Web Server Authentication');
      const expectedAlgorithm = rsaPss ? 'rsassaPss' : spec.algorithm === 'RSA' ? 'sha256WithRSAEncryption' : `ecdsa-with-SHA${({ 'P-256': 256, 'P-384': 384, 'P-521': 512 } as Record<string, number>)[spec.curve]}`;
      expect(result.stdout).toContain(`Signature Algorithm: ${expectedAlgorithm}`);

      const decoded = decodeCsr(der);
      expect(decoded.signatureValid).toBe(true);
      expect(decoded.template).toEqual({ oid: '1.3.6.1.4.1.311.21.8.1234.5678.1', majorVersion: 100, minorVersion: 4 });
      expect(decoded.templateName).toBe('WebServer');
      expect(decoded.san).toEqual({ dns: ['web01.example.com', 'web01'], ip: ['192.0.2.10', '2001:db8::10'], upn: ['web01$@EXAMPLE.COM'], email: ['ops@example.com'] });
    },
  );

  it('encodes each RDN as its own SET, in DER order, and the template name as a BMPString', async () => {
    const der = await buildCsr(full(keyFor(specs[0] as KeySpec)));
    const decoded = decodeCsr(der);
    const rdns = readName(parseDer(decoded.subjectDer, 'subject'));
    expect(rdns.map((rdn) => rdn.length)).toEqual([1, 1, 1, 1, 1]);
    expect(rdns.map((rdn) => rdn[0]?.text)).toEqual(['com', 'example', 'Example, Inc.', 'Servers', 'web01.example.com']);
    expect(decoded.subject).toBe('CN=web01.example.com,OU=Servers,O=Example\\, Inc.,DC=example,DC=com');
    const openSslSubject = openssl(['req', '-noout', '-subject', '-nameopt', 'RFC2253', '-inform', 'DER'], Buffer.from(der)).stdout.trim();
    expect(openSslSubject).toBe('subject=CN=web01.example.com,OU=Servers,O=Example\\, Inc.,DC=example,DC=com');
    const templateName = decoded.extensions.find((e) => e.oid === '1.3.6.1.4.1.311.20.2');
    expect(Buffer.from(templateName?.valueDer ?? []).toString('hex')).toBe('1e12' + Buffer.from('WebServer', 'utf16le').swap16().toString('hex'));
    expect(decoded.attributes.map((a) => a.oid)).toEqual(['1.3.6.1.4.1.311.13.2.3', '1.3.6.1.4.1.311.21.20', '1.3.6.1.4.1.311.13.2.2', '1.2.840.113549.1.9.14']);
  });

  it('keeps a multi-valued RDN only where the text asks for one', async () => {
    const pair = keyFor(specs[1] as KeySpec);
    const der = await buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: 'CN=a+UID=b,O=c' });
    const rdns = readName(parseDer(decodeCsr(der).subjectDer, 'subject'));
    expect(rdns.map((rdn) => rdn.length)).toEqual([1, 2]);
    expect(openssl(['req', '-verify', '-noout', '-inform', 'DER'], Buffer.from(der)).status).toBe(0);
  });

  it('copies a DER subject byte for byte and writes the empty Name for null', async () => {
    const pair = keyFor(specs[1] as KeySpec);
    // C=US, CN=a as a T61String: a type our encoder never writes, so only a byte copy keeps it.
    const fixed = Uint8Array.from(Buffer.from('3019310b3009060355040613025553310a30080603550403140161', 'hex'));
    const der = await buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: fixed });
    expect(decodeCsr(der).subjectDer).toEqual(fixed);
    const empty = await buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: null });
    expect(Array.from(decodeCsr(empty).subjectDer)).toEqual([0x30, 0x00]);
    const pem = pemEncode('CERTIFICATE REQUEST', empty);
    expect(openssl(['req', '-verify', '-noout'], pem).status).toBe(0);
  });

  it('rejects a SAN that cannot be encoded', async () => {
    const pair = keyFor(specs[1] as KeySpec);
    await expect(buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: null, san: { ip: ['10.0.0.256'] } })).rejects.toMatchObject({ code: 'SAN_INVALID' });
    await expect(buildCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey, subject: null, san: { dns: ['bad name'] } })).rejects.toMatchObject({ code: 'SAN_INVALID' });
  });
});
