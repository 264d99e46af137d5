// What autoenroll reports about a certificate. On the `status` start-up path: node:crypto's
// native X509Certificate plus the small DER reader, no asn1js/pkijs.
import type { X509Certificate } from 'node:crypto';
import { Tag, asn1Error, at, children, context, copyBytes, items, parseDer, readTime, toHex, type Tlv } from './der.js';
import { formatName } from './dnFormat.js';
import { readExtensions, type Extension } from './csrDecode.js';
import { Oid } from './oids.js';
import { decodeSan, emptySan, type SubjectAltNames } from './san.js';
import { decodeTemplateExtension, decodeTemplateName, type TemplateId } from './templateExtension.js';
import { parseX509 } from './x509Cache.js';

/** The fields of a certificate's TBSCertificate the rest of src/pki needs, as exact DER views. */
export interface CertificateParts {
  tbs: Tlv;
  serial: Tlv;
  issuer: Tlv;
  notBefore: Date;
  notAfter: Date;
  subject: Tlv;
  spki: Tlv;
  extensions: Extension[];
}

export function readCertificate(der: Uint8Array, what = 'certificate'): CertificateParts {
  const top = items(parseDer(der, what), Tag.SEQUENCE, what, 3);
  const tbs = at(top, 0, what);
  const fields = items(tbs, Tag.SEQUENCE, `${what} body`, 6);
  let index = fields[0]?.tag === context(0, true) ? 1 : 0;
  const next = (name: string): Tlv => at(fields, index++, `${what} ${name}`);
  const serial = next('serial number');
  if (serial.tag !== Tag.INTEGER) throw asn1Error('ASN1_UNEXPECTED_TAG', `${what}: serial number is not an INTEGER`);
  next('signature algorithm');
  const issuer = next('issuer');
  const validity = items(next('validity'), Tag.SEQUENCE, `${what} validity`, 2);
  const subject = next('subject');
  const spki = next('public key');
  items(spki, Tag.SEQUENCE, `${what} public key`, 2);
  let extensions: Extension[] = [];
  for (const field of fields.slice(index)) {
    if (field.tag === context(3, true)) extensions = readExtensions(at(children(field, `${what} extensions`), 0, `${what} extensions`), `${what} extensions`);
  }
  return {
    tbs,
    serial,
    issuer,
    notBefore: readTime(at(validity, 0, what), `${what} notBefore`),
    notAfter: readTime(at(validity, 1, what), `${what} notAfter`),
    subject,
    spki,
    extensions,
  };
}

export interface CertificateDescription {
  subject: string;
  subjectDer: Uint8Array;
  issuer: string;
  issuerDer: Uint8Array;
  /** Uppercase hex of the serial number's bytes, as Windows shows it. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** Uppercase hex SHA-1 of the DER (the Windows "thumbprint"). */
  thumbprintSha1: string;
  /** Uppercase hex SHA-256 of the DER. */
  thumbprintSha256: string;
  publicKeySpkiDer: Uint8Array;
  template?: TemplateId;
  templateName?: string;
  san: SubjectAltNames;
  extensions: Extension[];
}

/** Throws InputError (ASN1_* or CERT_UNREADABLE) for anything that is not one DER certificate. */
export function describeCertificate(der: Uint8Array): CertificateDescription {
  const parts = readCertificate(der);
  let x509: X509Certificate;
  try {
    x509 = parseX509(der).x509;
  } catch (error) {
    throw asn1Error('CERT_UNREADABLE', `certificate: not readable as X.509 (${(error as Error).message})`);
  }
  const serialBytes = parts.serial.value;
  const serial = serialBytes.length > 1 && serialBytes[0] === 0 ? serialBytes.subarray(1) : serialBytes;
  const description: CertificateDescription = {
    subject: formatName(parts.subject, 'certificate subject'),
    subjectDer: copyBytes(parts.subject.bytes),
    issuer: formatName(parts.issuer, 'certificate issuer'),
    issuerDer: copyBytes(parts.issuer.bytes),
    serialHex: toHex(serial).toUpperCase(),
    notBefore: parts.notBefore,
    notAfter: parts.notAfter,
    thumbprintSha1: x509.fingerprint.replaceAll(':', ''),
    thumbprintSha256: x509.fingerprint256.replaceAll(':', ''),
    publicKeySpkiDer: copyBytes(parts.spki.bytes),
    san: emptySan(),
    extensions: parts.extensions,
  };
  for (const extension of parts.extensions) {
    if (extension.oid === Oid.certificateTemplate) description.template = decodeTemplateExtension(extension.valueDer);
    else if (extension.oid === Oid.enrollCertType) description.templateName = decodeTemplateName(extension.valueDer);
    else if (extension.oid === Oid.subjectAltName) description.san = decodeSan(extension.valueDer);
  }
  return description;
}
