// CMS SignedData reading (RFC 5652 §5) and signer verification with node:crypto.
import { createHash } from 'node:crypto';
import { Tag, asn1Error, at, bytesEqual, children, context, expectTag, items, parseDer, readOctetString, readOid, readSmallInt, type Tlv } from './der.js';
import { readAttributes } from './csrDecode.js';
import { readCertificate } from './certInfo.js';
import { Oid, hashByOid } from './oids.js';
import { readAlgorithmIdentifier, verifySignature, type AlgorithmIdentifier } from './verifySignature.js';

export interface SignerInfo {
  sidKind: 'issuerAndSerial' | 'subjectKeyIdentifier';
  /** issuerAndSerialNumber: the issuer Name and serial INTEGER; subjectKeyIdentifier: the key id. */
  issuer?: Tlv;
  serial?: Tlv;
  keyId?: Uint8Array;
  digestOid: string;
  signedAttributes?: Tlv;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
}

export interface SignedData {
  version: number;
  contentType: string;
  /** eContent bytes; undefined for a detached or certificates-only ("degenerate") SignedData. */
  content: Uint8Array | undefined;
  /** Certificates (other CertificateChoices are skipped). */
  certificates: Tlv[];
  signers: SignerInfo[];
}

export function readSignedData(der: Uint8Array, what = 'CMS'): SignedData {
  const contentInfo = items(parseDer(der, what), Tag.SEQUENCE, what, 2);
  const contentType = readOid(at(contentInfo, 0, what), `${what} content type`);
  if (contentType !== Oid.signedData) throw asn1Error('CMS_NOT_SIGNED_DATA', `${what}: content type ${contentType} is not signedData`);
  const explicit = expectTag(at(contentInfo, 1, what), context(0, true), `${what} content`);
  const fields = items(at(children(explicit, what), 0, what), Tag.SEQUENCE, `${what} SignedData`, 4);
  const version = readSmallInt(at(fields, 0, what), `${what} version`);
  items(at(fields, 1, what), Tag.SET, `${what} digest algorithms`);
  const encap = items(at(fields, 2, what), Tag.SEQUENCE, `${what} encapsulated content`, 1);
  const eContentType = readOid(at(encap, 0, what), `${what} eContentType`);
  let content: Uint8Array | undefined;
  if (encap[1] !== undefined) {
    const inner = at(children(expectTag(encap[1], context(0, true), `${what} eContent`), `${what} eContent`), 0, `${what} eContent`);
    // BER allows the constructed form (pkijs and some CAs write it): concatenate its segments.
    content = inner.tag === (Tag.OCTET_STRING | 0x20)
      ? Buffer.concat(children(inner, `${what} eContent`).map((segment) => readOctetString(segment, `${what} eContent segment`)))
      : readOctetString(inner, `${what} eContent`);
  }
  const certificates: Tlv[] = [];
  let index = 3;
  if (fields[index]?.tag === context(0, true)) {
    for (const choice of children(fields[index] as Tlv, `${what} certificates`)) if (choice.tag === Tag.SEQUENCE) certificates.push(choice);
    index++;
  }
  if (fields[index]?.tag === context(1, true)) index++;
  const signers = items(at(fields, index, `${what} signerInfos`), Tag.SET, `${what} signerInfos`).map((signer) => readSignerInfo(signer, what));
  return { version, contentType: eContentType, content, certificates, signers };
}

function readSignerInfo(tlv: Tlv, what: string): SignerInfo {
  const fields = items(tlv, Tag.SEQUENCE, `${what} SignerInfo`, 5);
  let index = 1;
  const sid = at(fields, index++, `${what} signer id`);
  const signer: Partial<SignerInfo> = {};
  if (sid.tag === Tag.SEQUENCE) {
    const parts = items(sid, Tag.SEQUENCE, `${what} issuerAndSerialNumber`, 2);
    signer.sidKind = 'issuerAndSerial';
    signer.issuer = expectTag(at(parts, 0, what), Tag.SEQUENCE, `${what} signer issuer`);
    signer.serial = expectTag(at(parts, 1, what), Tag.INTEGER, `${what} signer serial`);
  } else if (sid.tag === context(0, false)) {
    signer.sidKind = 'subjectKeyIdentifier';
    signer.keyId = sid.value;
  } else {
    throw asn1Error('ASN1_UNEXPECTED_TAG', `${what}: unknown signer identifier form`);
  }
  signer.digestOid = readAlgorithmIdentifier(at(fields, index++, what), `${what} digest algorithm`).oid;
  if (fields[index]?.tag === context(0, true)) signer.signedAttributes = fields[index++];
  signer.signatureAlgorithm = readAlgorithmIdentifier(at(fields, index++, what), `${what} signature algorithm`);
  signer.signature = readOctetString(at(fields, index, what), `${what} signature`);
  return signer as SignerInfo;
}

/** The certificate a signer names, among `certificates`. */
export function findSignerCertificate(signer: SignerInfo, certificates: readonly Tlv[]): Tlv | undefined {
  return certificates.find((certificate) => {
    try {
      const parts = readCertificate(certificate.bytes);
      if (signer.sidKind === 'issuerAndSerial') {
        return bytesEqual(parts.issuer.bytes, (signer.issuer as Tlv).bytes) && bytesEqual(parts.serial.value, (signer.serial as Tlv).value);
      }
      const ski = parts.extensions.find((extension) => extension.oid === Oid.subjectKeyIdentifier);
      return ski !== undefined && bytesEqual(parseDer(ski.valueDer, 'subjectKeyIdentifier').value, signer.keyId as Uint8Array);
    } catch {
      return false;
    }
  });
}

/**
 * RFC 5652 §5.4/§5.6: without signed attributes the signature covers the content; with them it
 * covers their DER (re-tagged as SET OF) and the message-digest attribute must match the content.
 */
export function verifySigner(signer: SignerInfo, publicKeySpkiDer: Uint8Array, contentType: string, content: Uint8Array): boolean {
  let signedBytes = content;
  if (signer.signedAttributes !== undefined) {
    const hash = hashByOid[signer.digestOid];
    if (hash === undefined) return false;
    const attributes = readAttributes(signer.signedAttributes, context(0, true), 'CMS signed attributes');
    const digest = attributes.find((attribute) => attribute.oid === Oid.messageDigestAttr)?.valuesDer[0];
    const type = attributes.find((attribute) => attribute.oid === Oid.contentTypeAttr)?.valuesDer[0];
    if (digest === undefined || type === undefined) return false;
    if (readOid(parseDer(type, 'content-type attribute'), 'content-type attribute') !== contentType) return false;
    const expected = createHash(hash).update(content).digest();
    if (!bytesEqual(readOctetString(parseDer(digest, 'message-digest attribute'), 'message-digest attribute'), expected)) return false;
    signedBytes = Uint8Array.from(signer.signedAttributes.bytes);
    signedBytes[0] = Tag.SET;
  }
  return verifySignature(signer.signatureAlgorithm, publicKeySpkiDer, signedBytes, signer.signature, signer.digestOid);
}
