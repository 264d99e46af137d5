// SubjectAltName (GeneralNames) decoding: the four kinds autoenroll requests and reports.
import { Tag, asn1Error, at, children, context, expectTag, items, parseDer, readOid, readString } from './der.js';
import { Oid } from './oids.js';

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  upn: string[];
  email: string[];
}

export const emptySan = (): SubjectAltNames => ({ dns: [], ip: [], upn: [], email: [] });

/** Decodes the DER value of a subjectAltName extension; kinds other than the four are skipped. */
export function decodeSan(valueDer: Uint8Array, what = 'subjectAltName'): SubjectAltNames {
  const san = emptySan();
  for (const name of items(parseDer(valueDer, what), Tag.SEQUENCE, what)) {
    if (name.tag === context(1, false)) san.email.push(ascii(name.value));
    else if (name.tag === context(2, false)) san.dns.push(ascii(name.value));
    else if (name.tag === context(7, false)) san.ip.push(formatIp(name.value, what));
    else if (name.tag === context(0, true)) {
      const parts = children(name, `${what} otherName`);
      if (readOid(at(parts, 0, `${what} otherName`), `${what} otherName type`) !== Oid.upn) continue;
      const explicit = expectTag(at(parts, 1, `${what} UPN`), context(0, true), `${what} UPN`);
      const text = readString(at(children(explicit, `${what} UPN`), 0, `${what} UPN`), `${what} UPN`);
      if (text === undefined) throw asn1Error('ASN1_BAD_STRING', `${what}: UPN is not a character string`);
      san.upn.push(text);
    }
  }
  return san;
}

function ascii(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

/** Dotted IPv4 or RFC 5952 IPv6 text. */
export function formatIp(bytes: Uint8Array, what = 'iPAddress'): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw asn1Error('ASN1_BAD_VALUE', `${what}: IP address of ${bytes.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // Longest run (>= 2) of zero groups becomes '::' (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}
