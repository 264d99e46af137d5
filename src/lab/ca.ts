// Certificate issuance for the lab's CAs (pkijs): self-signed root, issuing CAs, the HTTPS server
// certificate and the end-entity certificates a CES hands out. Only the lab uses this: it is the
// CA side of the protocol, never the agent's.
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SigningKey } from './labKeys.js';

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  certificateTemplate: '1.3.6.1.4.1.311.21.7',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bits as numbered in RFC 5280 (digitalSignature = 0 ... cRLSign = 6). */
export const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export interface TemplateIdentity {
  oid: string;
  majorVersion: number;
  minorVersion: number;
}

export interface CertificateSpec {
  /** DER Name; kept byte for byte (a renewal copies the old subject). */
  subjectDer: Uint8Array;
  spkiDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Positive big-endian serial; random 16 bytes when absent. */
  serial?: Uint8Array;
  ca?: { pathLength?: number };
  keyUsageBits?: number[];
  extendedKeyUsages?: string[];
  /** DER extnValue of a subjectAltName (copied from the request or the old certificate). */
  subjectAltNameDer?: Uint8Array;
  /** DNS names / IPv4 addresses for a SAN built here (the HTTPS server certificate). */
  dnsNames?: string[];
  ipAddresses?: string[];
  template?: TemplateIdentity;
}

export interface Issuer {
  certDer: Uint8Array;
  signingKey: SigningKey;
}

/** DER Name from (type OID, value) pairs, one attribute per RDN, in order (pkijs would merge them into one RDN). */
export function buildName(attributes: Array<[string, string]>): Buffer {
  const name = new asn1js.Sequence({
    value: attributes.map(
      ([type, value]) =>
        new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()] }),
    ),
  });
  return Buffer.from(name.toBER(false));
}

export function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x10; // positive, full length
  return serial;
}

const parsed = new WeakMap<Uint8Array, pkijs.Certificate>();

/**
 * The CA certificates of the lab, parsed once: decoding with asn1js dominated the lab's cost per
 * issued certificate. Keyed by the DER buffer the lab keeps for each CA; the objects are only read.
 */
export function parsedCaCertificate(der: Uint8Array): pkijs.Certificate {
  let certificate = parsed.get(der);
  if (!certificate) {
    certificate = pkijs.Certificate.fromBER(toArrayBuffer(der));
    parsed.set(der, certificate);
  }
  return certificate;
}

/** Issues a certificate; `issuer` null means self-signed with `selfKey`. */
export async function issueCertificate(spec: CertificateSpec, issuer: Issuer): Promise<Buffer>;
export async function issueCertificate(spec: CertificateSpec, issuer: null, selfKey: SigningKey): Promise<Buffer>;
export async function issueCertificate(spec: CertificateSpec, issuer: Issuer | null, selfKey?: SigningKey): Promise<Buffer> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: toArrayBuffer(spec.serial ?? randomSerial()) });
  const subject = pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(spec.subjectDer));
  cert.subject = subject;
  const issuerCert = issuer ? parsedCaCertificate(issuer.certDer) : undefined;
  cert.issuer = issuerCert ? issuerCert.subject : pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(spec.subjectDer));
  cert.notBefore = new pkijs.Time({ type: pkijs.TimeType.UTCTime, value: spec.notBefore });
  cert.notAfter = timeFor(spec.notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spec.spkiDer));

  const extensions: pkijs.Extension[] = [];
  const ski = keyIdentifier(cert.subjectPublicKeyInfo);
  extensions.push(
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints(spec.ca ? { cA: true, ...(spec.ca.pathLength !== undefined ? { pathLenConstraint: spec.ca.pathLength } : {}) } : {}).toSchema()),
  );
  if (spec.keyUsageBits?.length) extensions.push(extension(OID.keyUsage, true, keyUsageBitString(spec.keyUsageBits)));
  if (spec.extendedKeyUsages?.length) {
    extensions.push(extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: spec.extendedKeyUsages }).toSchema()));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: toArrayBuffer(ski) })));
  const authorityKeyId = issuerCert ? keyIdentifier(issuerCert.subjectPublicKeyInfo) : ski;
  extensions.push(
    extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(authorityKeyId) }) }).toSchema()),
  );
  const san = spec.subjectAltNameDer ?? buildSan(spec.dnsNames ?? [], spec.ipAddresses ?? []);
  if (san) extensions.push(rawExtension(OID.subjectAltName, false, san));
  if (spec.template) extensions.push(extension(OID.certificateTemplate, false, templateInfo(spec.template)));
  cert.extensions = extensions;

  const key = issuer ? issuer.signingKey : selfKey;
  if (!key) throw new Error('issueCertificate: a self-signed certificate needs its own key');
  await cert.sign(key, 'SHA-256');
  return Buffer.from(cert.toSchema(true).toBER(false));
}

/** DER of the 1.3.6.1.4.1.311.21.7 value: SEQUENCE { templateID, major, minor }. */
export function templateInfo(template: TemplateIdentity): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: template.oid }),
      new asn1js.Integer({ value: template.majorVersion }),
      new asn1js.Integer({ value: template.minorVersion }),
    ],
  });
}

function keyIdentifier(spki: pkijs.PublicKeyInfo): Buffer {
  return createHash('sha1').update(new Uint8Array(spki.subjectPublicKey.valueBlock.valueHexView)).digest();
}

function timeFor(date: Date): pkijs.Time {
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: date });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function rawExtension(extnID: string, critical: boolean, der: Uint8Array): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: toArrayBuffer(der) });
}

function keyUsageBitString(bits: number[]): asn1js.BitString {
  const max = Math.max(...bits);
  const bytes = new Uint8Array(max < 8 ? 1 : 2);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = (bytes.length * 8 - 1 - max) % 8;
  return new asn1js.BitString({ valueHex: bytes.buffer, unusedBits: unused });
}

function buildSan(dnsNames: string[], ipAddresses: string[]): Uint8Array | undefined {
  if (dnsNames.length === 0 && ipAddresses.length === 0) return undefined;
  const names = [
    ...dnsNames.map((value) => new pkijs.GeneralName({ type: 2, value })),
    ...ipAddresses.map(
      (ip) => new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: Uint8Array.from(ip.split('.').map(Number)).buffer }) }),
    ),
  ];
  return new Uint8Array(new pkijs.GeneralNames({ names }).toSchema().toBER(false));
}

export function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}
