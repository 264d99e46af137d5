// Decoding of the two Windows template-identity extensions (protocol.md §4.2).
import { Tag, asn1Error, at, items, parseDer, readOid, readSmallInt, readString } from './der.js';

export interface TemplateId {
  oid: string;
  majorVersion?: number;
  minorVersion?: number;
}

/** 1.3.6.1.4.1.311.21.7 szOID_CERTIFICATE_TEMPLATE: SEQUENCE { OID, INTEGER OPTIONAL, INTEGER OPTIONAL }. */
export function decodeTemplateExtension(valueDer: Uint8Array): TemplateId {
  const what = 'certificate template extension';
  const parts = items(parseDer(valueDer, what), Tag.SEQUENCE, what, 1);
  const template: TemplateId = { oid: readOid(at(parts, 0, what), what) };
  if (parts[1] !== undefined) template.majorVersion = readSmallInt(parts[1], `${what} major version`);
  if (parts[2] !== undefined) template.minorVersion = readSmallInt(parts[2], `${what} minor version`);
  return template;
}

/**
 * 1.3.6.1.4.1.311.20.2 szOID_ENROLL_CERTTYPE: Windows writes a bare BMPString; MS-WCCE documents
 * SEQUENCE { UTF8String }; some tools write a bare UTF8String. All three are read.
 */
export function decodeTemplateName(valueDer: Uint8Array): string {
  const what = 'certificate template name extension';
  let tlv = parseDer(valueDer, what);
  if (tlv.tag === Tag.SEQUENCE) tlv = at(items(tlv, Tag.SEQUENCE, what, 1), 0, what);
  const text = readString(tlv, what);
  if (text === undefined) throw asn1Error('ASN1_UNEXPECTED_TAG', `${what}: not a character string`);
  return text;
}
