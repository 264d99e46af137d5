// PKCS#10 decoding (what the lab receives, and what tests read back from our builders).
// Errors: malformed DER or structure → InputError with an ASN1_* code (see der.ts); callers that
// read a server's answer wrap it as they see fit. A bad signature is not an error: signatureValid.
import { Tag, at, children, context, copyBytes, items, parseDer, readBitString, readBoolean, readOctetString, readOid, readSmallInt, readString, asn1Error, type Tlv } from './der.js';
import { formatName } from './dnFormat.js';
import { Oid } from './oids.js';
import { decodeSan, emptySan, type SubjectAltNames } from './san.js';
import { decodeTemplateExtension, decodeTemplateName, type TemplateId } from './templateExtension.js';
import { readAlgorithmIdentifier, verifySignature } from './verifySignature.js';

export interface Extension {
  oid: string;
  critical: boolean;
  /** extnValue contents: the DER of the extension value. */
  valueDer: Uint8Array;
}

export interface RequestAttribute {
  oid: string;
  /** Each value of the SET, as whole DER elements. */
  valuesDer: Uint8Array[];
}

export interface DecodedCsr {
  /** The DER Name exactly as in the request. */
  subjectDer: Uint8Array;
  /** RFC 4514 text ('' for an empty Name). */
  subject: string;
  publicKeySpkiDer: Uint8Array;
  signatureAlgorithmOid: string;
  signatureValid: boolean;
  /** 1.3.6.1.4.1.311.21.7 */
  template?: TemplateId;
  /** 1.3.6.1.4.1.311.20.2, else the CertificateTemplate name/value pair (1.3.6.1.4.1.311.13.2.1). */
  templateName?: string;
  san: SubjectAltNames;
  extensions: Extension[];
  /** Attribute 1.3.6.1.4.1.311.13.1: the certificate being renewed. */
  renewalCertificateDer?: Uint8Array;
  attributes: RequestAttribute[];
  /** The whole CertificationRequestInfo (what the signature covers). */
  requestInfoDer: Uint8Array;
}

export function decodeCsr(der: Uint8Array): DecodedCsr {
  const what = 'PKCS#10 request';
  const top = items(parseDer(der, what), Tag.SEQUENCE, what, 3);
  const info = at(top, 0, what);
  const infoParts = items(info, Tag.SEQUENCE, `${what} info`, 3);
  const version = readSmallInt(at(infoParts, 0, `${what} version`), `${what} version`);
  if (version !== 0) throw asn1Error('CSR_BAD_VERSION', `${what}: version ${version + 1} is not supported (expected 1)`);
  const subjectTlv = at(infoParts, 1, `${what} subject`);
  const subject = formatName(subjectTlv, `${what} subject`);
  const spki = at(infoParts, 2, `${what} public key`);
  items(spki, Tag.SEQUENCE, `${what} public key`, 2);
  const attributesTlv = infoParts[3];
  if (infoParts.length > 4) throw asn1Error('ASN1_TRAILING_DATA', `${what}: unexpected elements after the attributes`);

  const algorithm = readAlgorithmIdentifier(at(top, 1, `${what} signature algorithm`), `${what} signature algorithm`);
  const signature = readBitString(at(top, 2, `${what} signature`), `${what} signature`);

  const attributes = attributesTlv === undefined ? [] : readAttributes(attributesTlv, context(0, true), `${what} attributes`);
  const extensions: Extension[] = [];
  let renewalCertificateDer: Uint8Array | undefined;
  let pairTemplateName: string | undefined;
  for (const attribute of attributes) {
    const first = attribute.valuesDer[0];
    if (first === undefined) continue;
    if (attribute.oid === Oid.extensionRequest || attribute.oid === Oid.msCertExtensions) {
      extensions.push(...readExtensions(parseDer(first, 'extension request')));
    } else if (attribute.oid === Oid.renewalCertificate) {
      items(parseDer(first, 'renewal certificate attribute'), Tag.SEQUENCE, 'renewal certificate attribute', 3);
      renewalCertificateDer = copyBytes(first);
    } else if (attribute.oid === Oid.enrollmentNameValuePair) {
      for (const value of attribute.valuesDer) pairTemplateName ??= readNameValuePairs(value).get('certificatetemplate');
    }
  }

  const decoded: DecodedCsr = {
    subjectDer: copyBytes(subjectTlv.bytes),
    subject,
    publicKeySpkiDer: copyBytes(spki.bytes),
    signatureAlgorithmOid: algorithm.oid,
    signatureValid: verifySignature(algorithm, spki.bytes, info.bytes, signature),
    san: emptySan(),
    extensions,
    attributes,
    requestInfoDer: copyBytes(info.bytes),
  };
  for (const extension of extensions) {
    if (extension.oid === Oid.certificateTemplate) decoded.template = decodeTemplateExtension(extension.valueDer);
    else if (extension.oid === Oid.enrollCertType) decoded.templateName = decodeTemplateName(extension.valueDer);
    else if (extension.oid === Oid.subjectAltName) decoded.san = decodeSan(extension.valueDer);
  }
  if (decoded.templateName === undefined && pairTemplateName !== undefined) decoded.templateName = pairTemplateName;
  if (renewalCertificateDer !== undefined) decoded.renewalCertificateDer = renewalCertificateDer;
  return decoded;
}

/** SET/[0] OF Attribute { type OID, values SET OF ANY }. */
export function readAttributes(tlv: Tlv, tag: number, what: string): RequestAttribute[] {
  return items(tlv, tag, what).map((attribute) => {
    const parts = items(attribute, Tag.SEQUENCE, what, 2);
    return {
      oid: readOid(at(parts, 0, `${what} type`), `${what} type`),
      valuesDer: items(at(parts, 1, `${what} values`), Tag.SET, `${what} values`).map((value) => copyBytes(value.bytes)),
    };
  });
}

/** Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
export function readExtensions(tlv: Tlv, what = 'extensions'): Extension[] {
  return items(tlv, Tag.SEQUENCE, what).map((extension) => {
    const parts = items(extension, Tag.SEQUENCE, `${what} entry`, 2);
    const oid = readOid(at(parts, 0, `${what} entry`), `${what} entry id`);
    const critical = parts.length > 2 ? readBoolean(at(parts, 1, what), `${what} ${oid} critical`) : false;
    const value = readOctetString(at(parts, parts.length - 1, what), `${what} ${oid} value`);
    return { oid, critical, valueDer: copyBytes(value) };
  });
}

/** szOID_ENROLLMENT_NAME_VALUE_PAIR: SEQUENCE OF SEQUENCE { name BMPString, value BMPString }, names lowercased. */
function readNameValuePairs(valueDer: Uint8Array): Map<string, string> {
  const what = 'enrollment name/value pairs';
  const pairs = new Map<string, string>();
  const root = parseDer(valueDer, what);
  const list = root.tag === Tag.SEQUENCE && children(root, what).every((item) => item.tag === Tag.SEQUENCE) ? children(root, what) : [root];
  for (const pair of list) {
    const parts = items(pair, Tag.SEQUENCE, what, 2);
    const name = readString(at(parts, 0, what), what);
    const value = readString(at(parts, 1, what), what);
    if (name !== undefined && value !== undefined) pairs.set(name.toLowerCase(), value);
  }
  return pairs;
}

