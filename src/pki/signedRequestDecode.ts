// Decoding of a signed enrollment request: CMS SignedData over a PKCS#10 (id-data, protocol.md
// §4.3) or over a CMC PKIData (§4.4). Malformed input → InputError (ASN1_*/CMS_* codes).
import { createHash } from 'node:crypto';
import { Tag, asn1Error, at, bytesEqual, children, context, copyBytes, items, parseDer, readBitString } from './der.js';
import { readCertificate } from './certInfo.js';
import { decodeCsr } from './csrDecode.js';
import { Oid } from './oids.js';
import { findSignerCertificate, readSignedData, verifySigner } from './signedData.js';

export interface DecodedSignedRequest {
  format: 'cms' | 'cmc';
  /** The PKCS#10 inside (for CMC: the first TaggedCertificationRequest). */
  csrDer: Uint8Array;
  /** SignedData certificates, in order. */
  certificates: Uint8Array[];
  signers: {
    /** The signer's certificate when it is among `certificates` (the renewal signer). */
    certificateDer?: Uint8Array;
    signatureValid: boolean;
    sidKind: 'issuerAndSerial' | 'subjectKeyIdentifier';
  }[];
}

export function decodeSignedRequest(der: Uint8Array): DecodedSignedRequest {
  const signed = readSignedData(der, 'signed request');
  if (signed.content === undefined) throw asn1Error('CMS_NO_CONTENT', 'signed request: the SignedData has no content');
  const content = signed.content;
  let format: 'cms' | 'cmc';
  let csrDer: Uint8Array;
  if (signed.contentType === Oid.data) {
    format = 'cms';
    csrDer = content;
  } else if (signed.contentType === Oid.pkiData) {
    format = 'cmc';
    csrDer = pkcs10FromPkiData(content);
  } else {
    throw asn1Error('CMS_UNEXPECTED_CONTENT', `signed request: content type ${signed.contentType} is neither id-data nor id-cct-PKIData`);
  }
  const csr = decodeCsr(csrDer);
  const signers = signed.signers.map((signer) => {
    const certificate = findSignerCertificate(signer, signed.certificates);
    let key: Uint8Array | undefined;
    if (certificate !== undefined) {
      key = readCertificate(certificate.bytes).spki.bytes;
    } else if (signer.sidKind === 'subjectKeyIdentifier' && keyIdMatchesRequest(signer.keyId as Uint8Array, csr.publicKeySpkiDer, csr.extensions)) {
      // CMC: the new key signs with a subjectKeyIdentifier sid; its key is the one in the request.
      key = csr.publicKeySpkiDer;
    }
    const result: DecodedSignedRequest['signers'][number] = {
      signatureValid: key !== undefined && verifySigner(signer, key, signed.contentType, content),
      sidKind: signer.sidKind,
    };
    if (certificate !== undefined) result.certificateDer = copyBytes(certificate.bytes);
    return result;
  });
  return { format, csrDer: copyBytes(csrDer), certificates: signed.certificates.map((c) => copyBytes(c.bytes)), signers };
}

/** PKIData { controlSequence, reqSequence, cmsSequence, otherMsgSequence }; the first tcr [0] request. */
function pkcs10FromPkiData(content: Uint8Array): Uint8Array {
  const what = 'CMC PKIData';
  const fields = items(parseDer(content, what), Tag.SEQUENCE, what, 4);
  for (const request of items(at(fields, 1, what), Tag.SEQUENCE, `${what} reqSequence`)) {
    if (request.tag !== context(0, true)) continue;
    const parts = children(request, `${what} TaggedCertificationRequest`);
    return at(parts, 1, `${what} TaggedCertificationRequest`).bytes;
  }
  throw asn1Error('CMC_NO_PKCS10', `${what}: no PKCS#10 TaggedCertificationRequest in reqSequence`);
}

/** The key id matches the request's SKI extension, or SHA-1 of its public key (RFC 5280 §4.2.1.2 method 1). */
function keyIdMatchesRequest(keyId: Uint8Array, spkiDer: Uint8Array, extensions: { oid: string; valueDer: Uint8Array }[]): boolean {
  const ski = extensions.find((extension) => extension.oid === Oid.subjectKeyIdentifier);
  if (ski !== undefined && bytesEqual(parseDer(ski.valueDer, 'subjectKeyIdentifier').value, keyId)) return true;
  const key = readBitString(at(children(parseDer(spkiDer, 'public key'), 'public key'), 1, 'public key'), 'public key');
  return bytesEqual(createHash('sha1').update(key).digest(), keyId);
}
