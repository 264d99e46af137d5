// PKCS#10 for AD CS (protocol.md §4.2): subject, SANs, the template extensions, the request
// attributes a Windows client sends, signed with SHA-2 (RSA PKCS#1 v1.5 or PSS, or ECDSA).
import * as asn1js from 'asn1js';
import { createHash, sign as signCallback, constants, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isIP } from 'node:net';
import { InputError } from '../errors.js';
import { isTokenKey, publicOf, signWithTokenKey, type SigningKey } from './signingKey.js';
import { algorithmIdentifier, attribute, bitString, contextConstructed, contextPrimitive, extension, integer, oid, raw, sequence, toDer } from './asn1Build.js';
import { encodeDn } from './dn.js';
import { Tag, at, items, parseDer, readBitString } from './der.js';
import { Oid } from './oids.js';

const signAsync = promisify(signCallback);

export interface SanRequest {
  dns?: string[];
  ip?: string[];
  upn?: string[];
  email?: string[];
}

export interface PolicyExtension {
  oid: string;
  critical: boolean;
  /** The DER of the extension value (extnValue contents), as the policy gives it. */
  valueDer: Uint8Array;
}

export interface CsrOptions {
  /** A node:crypto private key or a key in a PKCS#11 token. */
  privateKey: SigningKey;
  publicKey: KeyObject;
  /** RFC 4514 text, a DER Name copied byte for byte, or null for the empty Name. */
  subject: string | Uint8Array | null;
  san?: SanRequest;
  /** 1.3.6.1.4.1.311.21.7: the template OID and its revision from the policy. */
  template?: { oid: string; majorVersion: number; minorVersion: number };
  /** 1.3.6.1.4.1.311.20.2 as Windows writes it (BMPString). */
  templateName?: string;
  /** Extensions the template asks for, copied from the policy (EKU, key usage, ...). */
  policyExtensions?: PolicyExtension[];
  /** 1.3.6.1.4.1.311.21.20 szOID_REQUEST_CLIENT_INFO. */
  clientInfo?: { machine: string; user: string; process: string };
  /** 1.3.6.1.4.1.311.13.2.3, e.g. "10.0.19045.2". */
  osVersion?: string;
  /** 1.3.6.1.4.1.311.13.2.2 szOID_ENROLLMENT_CSP_PROVIDER. */
  cspName?: string;
  /** 1.3.6.1.4.1.311.13.1: the certificate being renewed. */
  renewalCertificateDer?: Uint8Array;
  /** RSASSA-PSS (template with the alternate signature algorithm flag); RSA keys only. */
  rsaPss?: boolean;
}

/** Windows' client id for the request client info attribute (the MS-WSTEP example request uses 5). */
const clientId = 5;

export async function buildCsr(options: CsrOptions): Promise<Uint8Array> {
  const spki = new Uint8Array(options.publicKey.export({ type: 'spki', format: 'der' }));
  const subject = options.subject === null ? toDer(sequence()) : options.subject instanceof Uint8Array ? checkedName(options.subject) : encodeDn(options.subject);
  const info = toDer(
    sequence(integer(0), raw(subject), raw(spki), contextConstructed(0, ...requestAttributes(options, spki))),
  );
  const { algorithm, signature } = await signWithKey(options.privateKey, info, options.rsaPss === true);
  return toDer(sequence(raw(info), algorithm, bitString(signature)));
}

function checkedName(der: Uint8Array): Uint8Array {
  const name = parseDer(der, 'subject Name');
  if (name.tag !== 0x30) throw new InputError('subject Name: not a DER SEQUENCE', 'DN_INVALID');
  return der;
}

function requestAttributes(options: CsrOptions, spki: Uint8Array): asn1js.BaseBlock[] {
  const attributes: asn1js.BaseBlock[] = [];
  if (options.osVersion !== undefined) attributes.push(attribute(Oid.osVersion, new asn1js.IA5String({ value: options.osVersion })));
  if (options.clientInfo !== undefined) {
    const { machine, user, process } = options.clientInfo;
    attributes.push(attribute(Oid.requestClientInfo, sequence(integer(clientId), utf8(machine), utf8(user), utf8(process))));
  }
  if (options.cspName !== undefined) {
    // keySpec 1 = AT_KEYEXCHANGE; the signature field is empty for a software key (as in the MS-WSTEP example).
    attributes.push(attribute(Oid.enrollmentCspProvider, sequence(integer(1), new asn1js.BmpString({ value: options.cspName }), bitString(new Uint8Array(0)))));
  }
  attributes.push(attribute(Oid.extensionRequest, sequence(...requestedExtensions(options, spki))));
  if (options.renewalCertificateDer !== undefined) {
    parseDer(options.renewalCertificateDer, 'renewal certificate', 0x30);
    attributes.push(attribute(Oid.renewalCertificate, raw(options.renewalCertificateDer)));
  }
  return attributes;
}

function requestedExtensions(options: CsrOptions, spki: Uint8Array): asn1js.BaseBlock[] {
  const ours: { oid: string; critical: boolean; valueDer: Uint8Array }[] = [];
  if (options.template !== undefined) {
    const { oid: templateOid, majorVersion, minorVersion } = options.template;
    ours.push({ oid: Oid.certificateTemplate, critical: false, valueDer: toDer(sequence(oid(templateOid), integer(majorVersion), integer(minorVersion))) });
  }
  if (options.templateName !== undefined) {
    ours.push({ oid: Oid.enrollCertType, critical: false, valueDer: toDer(new asn1js.BmpString({ value: options.templateName })) });
  }
  const san = sanValue(options.san);
  if (san !== undefined) ours.push({ oid: Oid.subjectAltName, critical: false, valueDer: san });
  ours.push({ oid: Oid.subjectKeyIdentifier, critical: false, valueDer: toDer(new asn1js.OctetString({ valueHex: subjectKeyIdentifier(spki) })) });
  // What we compute wins over a copy of the same extension from the policy.
  const copied = (options.policyExtensions ?? []).filter((ext) => !ours.some((own) => own.oid === ext.oid));
  return [...ours, ...copied].map((ext) => extension(ext.oid, ext.critical, ext.valueDer));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (Windows does the same). */
export function subjectKeyIdentifier(spki: Uint8Array): Uint8Array {
  // The small DER reader: asn1js's fromBER took ≈ 0.3 ms here, for every request.
  const fields = items(parseDer(spki, 'SubjectPublicKeyInfo'), Tag.SEQUENCE, 'SubjectPublicKeyInfo', 2);
  const key = readBitString(at(fields, 1, 'SubjectPublicKeyInfo'), 'subjectPublicKey');
  return new Uint8Array(createHash('sha1').update(key).digest());
}

function sanValue(san: SanRequest | undefined): Uint8Array | undefined {
  if (san === undefined) return undefined;
  const names: asn1js.BaseBlock[] = [];
  for (const upn of san.upn ?? []) {
    names.push(contextConstructed(0, oid(Oid.upn), contextConstructed(0, utf8(upn))));
  }
  for (const email of san.email ?? []) names.push(contextPrimitive(1, ascii(email, 'e-mail SAN')));
  for (const dns of san.dns ?? []) names.push(contextPrimitive(2, ascii(dns, 'DNS SAN')));
  for (const ip of san.ip ?? []) names.push(contextPrimitive(7, ipBytes(ip)));
  return names.length === 0 ? undefined : toDer(sequence(...names));
}

function ascii(text: string, what: string): Uint8Array {
  if (!/^[\x21-\x7e]+$/.test(text)) throw new InputError(`${what} ${JSON.stringify(text)} must be non-empty printable ASCII (use the IDNA A-label for names)`, 'SAN_INVALID');
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

function ipBytes(text: string): Uint8Array {
  const version = isIP(text);
  if (version === 4) return Uint8Array.from(text.split('.').map(Number));
  if (version !== 6 || text.includes('.') || text.includes('%')) throw new InputError(`IP SAN ${JSON.stringify(text)} is not an IPv4 or plain IPv6 address`, 'SAN_INVALID');
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const utf8 = (value: string): asn1js.Utf8String => new asn1js.Utf8String({ value });

const ecHashByCurve: Record<string, { hash: 'sha256' | 'sha384' | 'sha512'; oid: string }> = {
  prime256v1: { hash: 'sha256', oid: Oid.ecdsaWithSha256 },
  secp384r1: { hash: 'sha384', oid: Oid.ecdsaWithSha384 },
  secp521r1: { hash: 'sha512', oid: Oid.ecdsaWithSha512 },
};

/** The digest a key signs with: SHA-256 for RSA, the curve's own size for ECDSA (P-521 → SHA-512). */
export function digestOidForKey(signingKey: SigningKey): string {
  const key = publicOf(signingKey);
  if (key.asymmetricKeyType === 'rsa') return Oid.sha256;
  const ec = key.asymmetricKeyType === 'ec' ? ecHashByCurve[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (ec === undefined) throw new InputError(`keys of type ${key.asymmetricKeyType ?? 'unknown'} cannot sign requests (RSA or ECDSA P-256/384/521 only)`, 'KEY_UNSUPPORTED');
  return ec.hash === 'sha256' ? Oid.sha256 : ec.hash === 'sha384' ? Oid.sha384 : Oid.sha512;
}

/** Signs DER with the key: SHA-256 for RSA (PKCS#1 v1.5, or PSS with salt 32), ECDSA with the curve's hash. */
export async function signWithKey(key: SigningKey, data: Uint8Array, rsaPss = false): Promise<{ algorithm: asn1js.Sequence; signature: Uint8Array; digestOid: string }> {
  const digestOid = digestOidForKey(key);
  if (isTokenKey(key)) return signWithToken(key, data, rsaPss, digestOid);
  if (key.asymmetricKeyType === 'rsa') {
    if (rsaPss) {
      const sha256 = algorithmIdentifier(Oid.sha256, null);
      const params = sequence(
        contextConstructed(0, sha256),
        contextConstructed(1, algorithmIdentifier(Oid.mgf1, algorithmIdentifier(Oid.sha256, null))),
        contextConstructed(2, integer(32)),
      );
      const signature = await signAsync('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      return { algorithm: algorithmIdentifier(Oid.rsaPss, params), signature: new Uint8Array(signature), digestOid };
    }
    const signature = await signAsync('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING });
    return { algorithm: algorithmIdentifier(Oid.sha256WithRsa, null), signature: new Uint8Array(signature), digestOid };
  }
  const ec = ecHashByCurve[key.asymmetricKeyDetails?.namedCurve ?? ''] as { hash: string; oid: string };
  const signature = await signAsync(ec.hash, data, { key, dsaEncoding: 'der' });
  return { algorithm: algorithmIdentifier(ec.oid), signature: new Uint8Array(signature), digestOid };
}

/** The same signatures made by a token key (PKCS#1 v1.5 or ECDSA; PSS is not offered for token keys). */
function signWithToken(key: Extract<SigningKey, { kind: 'pkcs11' }>, data: Uint8Array, rsaPss: boolean, digestOid: string): { algorithm: asn1js.Sequence; signature: Uint8Array; digestOid: string } {
  if (key.publicKey.asymmetricKeyType === 'rsa') {
    if (rsaPss) throw new InputError('the template asks for RSASSA-PSS signatures, which autoenroll does not make with token keys; use an EC key (key.algorithm: EC) or a key file', 'KEY_UNSUPPORTED');
    return { algorithm: algorithmIdentifier(Oid.sha256WithRsa, null), signature: signWithTokenKey(key, 'sha256', data), digestOid };
  }
  const ec = ecHashByCurve[key.publicKey.asymmetricKeyDetails?.namedCurve ?? ''] as { hash: 'sha256' | 'sha384' | 'sha512'; oid: string };
  return { algorithm: algorithmIdentifier(ec.oid), signature: signWithTokenKey(key, ec.hash, data), digestOid };
}
