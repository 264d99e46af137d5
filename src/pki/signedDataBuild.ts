// CMS SignedData (RFC 5652) construction with asn1js; signatures by node:crypto via signWithKey.
import type * as asn1js from 'asn1js';
import { createHash } from 'node:crypto';
import { algorithmIdentifier, attribute, contextConstructed, contextPrimitive, derSetOf, integer, octetString, oid, raw, sequence, set, toDer } from './asn1Build.js';
import { digestOidForKey, signWithKey } from './csr.js';
import { readCertificate } from './certInfo.js';
import { Oid, hashByOid } from './oids.js';
import type { SigningKey } from './signingKey.js';

export interface SignerSpec {
  privateKey: SigningKey;
  /** issuerAndSerialNumber of this certificate, or a subjectKeyIdentifier. */
  sid: { certificateDer: Uint8Array } | { keyId: Uint8Array };
  rsaPss?: boolean;
}

export interface SignedDataSpec {
  contentType: string;
  content: Uint8Array;
  certificates: Uint8Array[];
  signers: SignerSpec[];
}

/**
 * ContentInfo(SignedData). Over id-data the signers sign the content directly, with no signed
 * attributes (what Windows sends, protocol.md §4.3); over any other content type RFC 5652 §5.3
 * requires signed attributes (content-type and message-digest).
 */
export async function buildSignedData(spec: SignedDataSpec): Promise<Uint8Array> {
  const withAttributes = spec.contentType !== Oid.data;
  const signerInfos: asn1js.BaseBlock[] = [];
  const digestOids = new Set<string>();
  for (const signer of spec.signers) {
    const bySubjectKeyId = 'keyId' in signer.sid;
    let signedAttributes: Uint8Array | undefined;
    let toSign = spec.content;
    if (withAttributes) {
      const digest = createHash(hashByOid[digestOidForKey(signer.privateKey)] as string).update(spec.content).digest();
      signedAttributes = toDer(
        derSetOf([toDer(attribute(Oid.contentTypeAttr, oid(spec.contentType))), toDer(attribute(Oid.messageDigestAttr, octetString(digest)))]),
      );
      toSign = signedAttributes;
    }
    const { algorithm, signature, digestOid } = await signWithKey(signer.privateKey, toSign, signer.rsaPss === true);
    digestOids.add(digestOid);
    const fields: asn1js.BaseBlock[] = [integer(bySubjectKeyId ? 3 : 1), signerIdentifier(signer.sid), algorithmIdentifier(digestOid, null)];
    if (signedAttributes !== undefined) {
      const implicit = Uint8Array.from(signedAttributes);
      implicit[0] = 0xa0; // [0] IMPLICIT SET OF Attribute
      fields.push(raw(implicit));
    }
    fields.push(cmsSignatureAlgorithm(algorithm), octetString(signature));
    signerInfos.push(sequence(...fields));
  }
  const v3 = spec.contentType !== Oid.data || spec.signers.some((signer) => 'keyId' in signer.sid);
  const signedData = sequence(
    integer(v3 ? 3 : 1),
    set(...[...digestOids].map((digest) => algorithmIdentifier(digest, null))),
    sequence(oid(spec.contentType), contextConstructed(0, octetString(spec.content))),
    contextConstructed(0, ...spec.certificates.map(raw)),
    set(...signerInfos),
  );
  return toDer(sequence(oid(Oid.signedData), contextConstructed(0, signedData)));
}

function signerIdentifier(sid: SignerSpec['sid']): asn1js.BaseBlock {
  if ('keyId' in sid) return contextPrimitive(0, sid.keyId);
  const certificate = readCertificate(sid.certificateDer, 'signer certificate');
  return sequence(raw(certificate.issuer.bytes), raw(certificate.serial.bytes));
}

/** In a SignerInfo, an RSA PKCS#1 v1.5 signature is named rsaEncryption (what Windows and OpenSSL write). */
function cmsSignatureAlgorithm(algorithm: asn1js.Sequence): asn1js.BaseBlock {
  const algorithmOid = (algorithm.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  return algorithmOid === Oid.sha256WithRsa ? algorithmIdentifier(Oid.rsaEncryption, null) : algorithm;
}
