// A small strict DER reader. The decoders walk only the structures they know, so there is no
// unbounded recursion on hostile input, and every element keeps its exact bytes (signatures are
// verified over them and subjects are copied from them byte for byte).
// Why not asn1js here: it costs ~19 ms to import (certInfo.ts is on the `status` start-up path),
// it accepts BER (indefinite lengths) and it reports malformed input as strings inside the tree
// instead of failing. Building DER stays with asn1js (see csr.ts).
import { InputError } from '../errors.js';

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag byte of a context-specific element: [n] constructed (0xA0 + n) or primitive (0x80 + n). */
export const context = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) + n;

/** One DER element: `bytes` is the whole TLV, `value` its contents (both views on the input). */
export interface Tlv {
  /** First identifier octet (class, constructed bit and low tag number). */
  tag: number;
  /** Tag number (also for the high-tag-number form). */
  tagNumber: number;
  constructed: boolean;
  bytes: Uint8Array;
  value: Uint8Array;
}

/** The typed error every decoder throws for malformed DER. */
export function asn1Error(code: string, message: string): InputError {
  return new InputError(message, code);
}

/** Reads one element at `offset` inside `buffer[0..end)`. */
export function readTlv(buffer: Uint8Array, offset: number, end = buffer.length, what = 'DER'): Tlv {
  let position = offset;
  if (position >= end) throw asn1Error('ASN1_TRUNCATED', `${what}: truncated (no element where one was expected)`);
  const tag = buffer[position++] as number;
  let tagNumber = tag & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (position >= end) throw asn1Error('ASN1_TRUNCATED', `${what}: truncated inside a tag`);
      if (i >= 4) throw asn1Error('ASN1_BAD_TAG', `${what}: tag number too large`);
      const byte = buffer[position++] as number;
      tagNumber = tagNumber * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
  }
  if (position >= end) throw asn1Error('ASN1_TRUNCATED', `${what}: truncated before a length`);
  const first = buffer[position++] as number;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw asn1Error('ASN1_INDEFINITE_LENGTH', `${what}: indefinite length (BER) is not DER`);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw asn1Error('ASN1_BAD_LENGTH', `${what}: length of ${count} octets is absurd`);
    if (position + count > end) throw asn1Error('ASN1_TRUNCATED', `${what}: truncated inside a length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[position++] as number);
  }
  if (length > end - position) {
    throw asn1Error('ASN1_TRUNCATED', `${what}: element declares ${length} bytes but only ${end - position} remain`);
  }
  return {
    tag,
    tagNumber,
    constructed: (tag & 0x20) !== 0,
    bytes: buffer.subarray(offset, position + length),
    value: buffer.subarray(position, position + length),
  };
}

/** Parses a buffer that must hold exactly one element, optionally with the given tag. */
export function parseDer(buffer: Uint8Array, what: string, tag?: number): Tlv {
  if (!(buffer instanceof Uint8Array)) throw asn1Error('ASN1_NOT_BYTES', `${what}: expected bytes`);
  const tlv = readTlv(buffer, 0, buffer.length, what);
  if (tlv.bytes.length !== buffer.length) {
    throw asn1Error('ASN1_TRAILING_DATA', `${what}: ${buffer.length - tlv.bytes.length} bytes after the end of the element`);
  }
  if (tag !== undefined) expectTag(tlv, tag, what);
  return tlv;
}

export function expectTag(tlv: Tlv, tag: number, what: string): Tlv {
  if (tlv.tag !== tag) {
    throw asn1Error('ASN1_UNEXPECTED_TAG', `${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)}`);
  }
  return tlv;
}

/** The elements inside a constructed element. */
export function children(tlv: Tlv, what: string): Tlv[] {
  if (!tlv.constructed) throw asn1Error('ASN1_UNEXPECTED_TAG', `${what}: expected a constructed element`);
  const result: Tlv[] = [];
  const { value } = tlv;
  let offset = 0;
  while (offset < value.length) {
    const child = readTlv(value, offset, value.length, what);
    result.push(child);
    offset += child.bytes.length;
  }
  return result;
}

/** Children of a SEQUENCE/SET with the given tag, with at least `min` elements. */
export function items(tlv: Tlv, tag: number, what: string, min = 0): Tlv[] {
  expectTag(tlv, tag, what);
  const list = children(tlv, what);
  if (list.length < min) throw asn1Error('ASN1_MISSING_ELEMENT', `${what}: expected at least ${min} elements, found ${list.length}`);
  return list;
}

/** Element i of a list, or a typed error naming what is missing. */
export function at(list: readonly Tlv[], index: number, what: string): Tlv {
  const item = list[index];
  if (item === undefined) throw asn1Error('ASN1_MISSING_ELEMENT', `${what}: missing element ${index + 1}`);
  return item;
}

export function readOid(tlv: Tlv, what: string): string {
  expectTag(tlv, Tag.OID, what);
  const bytes = tlv.value;
  if (bytes.length === 0) throw asn1Error('ASN1_BAD_VALUE', `${what}: empty object identifier`);
  const arcs: bigint[] = [];
  let current = 0n;
  let inArc = false;
  for (const byte of bytes) {
    if (!inArc && byte === 0x80) throw asn1Error('ASN1_BAD_VALUE', `${what}: non-minimal object identifier arc`);
    current = (current << 7n) | BigInt(byte & 0x7f);
    inArc = (byte & 0x80) !== 0;
    if (!inArc) {
      arcs.push(current);
      current = 0n;
    }
  }
  if (inArc) throw asn1Error('ASN1_BAD_VALUE', `${what}: truncated object identifier`);
  const first = arcs[0] as bigint;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** INTEGER contents as a non-negative safe number (versions, flags, body part IDs). */
export function readSmallInt(tlv: Tlv, what: string): number {
  expectTag(tlv, Tag.INTEGER, what);
  const bytes = tlv.value;
  if (bytes.length === 0) throw asn1Error('ASN1_BAD_VALUE', `${what}: empty INTEGER`);
  if (bytes.length > 6) throw asn1Error('ASN1_BAD_VALUE', `${what}: INTEGER too large`);
  if (((bytes[0] as number) & 0x80) !== 0) throw asn1Error('ASN1_BAD_VALUE', `${what}: negative INTEGER`);
  let result = 0;
  for (const byte of bytes) result = result * 256 + byte;
  return result;
}

export function readBoolean(tlv: Tlv, what: string): boolean {
  expectTag(tlv, Tag.BOOLEAN, what);
  if (tlv.value.length !== 1) throw asn1Error('ASN1_BAD_VALUE', `${what}: BOOLEAN must be one byte`);
  return tlv.value[0] !== 0;
}

/** BIT STRING contents without the unused-bits octet (signatures and keys use whole octets). */
export function readBitString(tlv: Tlv, what: string): Uint8Array {
  expectTag(tlv, Tag.BIT_STRING, what);
  if (tlv.value.length === 0) throw asn1Error('ASN1_BAD_VALUE', `${what}: empty BIT STRING`);
  if (tlv.value[0] !== 0) throw asn1Error('ASN1_BAD_VALUE', `${what}: BIT STRING with unused bits`);
  return tlv.value.subarray(1);
}

/** OCTET STRING contents; a constructed (BER) octet string is rejected as not DER. */
export function readOctetString(tlv: Tlv, what: string): Uint8Array {
  expectTag(tlv, Tag.OCTET_STRING, what);
  return tlv.value;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/** Decodes any ASN.1 character string type; undefined when the tag is not a string type. */
export function readString(tlv: Tlv, what: string): string | undefined {
  const { value } = tlv;
  try {
    switch (tlv.tag) {
      case Tag.UTF8_STRING:
        return utf8.decode(value);
      case Tag.PRINTABLE_STRING:
      case Tag.IA5_STRING:
      case Tag.NUMERIC_STRING:
      case Tag.VISIBLE_STRING:
      case Tag.T61_STRING:
        return latin1.decode(value);
      case Tag.BMP_STRING:
        if (value.length % 2 !== 0) throw new Error('odd length');
        return utf16be.decode(value);
      case Tag.UNIVERSAL_STRING: {
        if (value.length % 4 !== 0) throw new Error('length not a multiple of 4');
        let text = '';
        const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
        for (let i = 0; i < value.length; i += 4) text += String.fromCodePoint(view.getUint32(i));
        return text;
      }
      default:
        return undefined;
    }
  } catch (error) {
    throw asn1Error('ASN1_BAD_STRING', `${what}: malformed character string (${(error as Error).message})`);
  }
}

/** UTCTime or GeneralizedTime (the forms RFC 5280 allows: seconds, Z). */
export function readTime(tlv: Tlv, what: string): Date {
  const text = latin1.decode(tlv.value);
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === Tag.UTC_TIME && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(text))) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === Tag.GENERALIZED_TIME && (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(text))) {
    year = Number(match[1]);
  } else {
    throw asn1Error('ASN1_BAD_TIME', `${what}: malformed time ${JSON.stringify(text.slice(0, 40))}`);
  }
  const [, , mo, d, h, mi, s] = match;
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** An independent copy (results never alias the caller's buffer). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
