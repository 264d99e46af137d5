// Small helpers for building DER with asn1js, including byte-exact embedding of existing DER.
import * as asn1js from 'asn1js';

/**
 * Existing DER copied byte for byte. asn1js's own RawData ignores the writer that constructed
 * types pass down (its bytes silently vanish inside a SEQUENCE); this one writes them.
 */
class RawDer extends asn1js.RawData {
  override toBER(_sizeOnly?: boolean, writer?: { write(buffer: ArrayBuffer): void }): ArrayBuffer {
    const buffer = this.dataView.slice().buffer;
    writer?.write(buffer);
    return buffer;
  }
}

export function raw(der: Uint8Array): asn1js.BaseBlock {
  return new RawDer({ data: der }) as unknown as asn1js.BaseBlock;
}

export function toDer(block: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(block.toBER());
}

export const oid = (value: string): asn1js.ObjectIdentifier => new asn1js.ObjectIdentifier({ value });
export const sequence = (...value: asn1js.BaseBlock[]): asn1js.Sequence => new asn1js.Sequence({ value });
export const set = (...value: asn1js.BaseBlock[]): asn1js.Set => new asn1js.Set({ value });
export const integer = (value: number): asn1js.Integer => new asn1js.Integer({ value });
export const octetString = (bytes: Uint8Array): asn1js.OctetString => new asn1js.OctetString({ valueHex: bytes });
export const bitString = (bytes: Uint8Array): asn1js.BitString => new asn1js.BitString({ valueHex: bytes });

/** [n] EXPLICIT or a constructed [n] IMPLICIT SET/SEQUENCE: both are a constructed context tag around the elements. */
export function contextConstructed(tagNumber: number, ...value: asn1js.BaseBlock[]): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value });
}

/** [n] IMPLICIT primitive (e.g. a subjectKeyIdentifier signer id, GeneralName dNSName). */
export function contextPrimitive(tagNumber: number, bytes: Uint8Array): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber }, valueHex: bytes });
}

/** AlgorithmIdentifier; `params` null gives an explicit NULL, undefined leaves it absent. */
export function algorithmIdentifier(algorithm: string, params?: asn1js.BaseBlock | null): asn1js.Sequence {
  if (params === undefined) return sequence(oid(algorithm));
  return sequence(oid(algorithm), params ?? new asn1js.Null());
}

/** Extension { extnID, critical (only when true: DER omits a DEFAULT FALSE), extnValue }. */
export function extension(extnId: string, critical: boolean, valueDer: Uint8Array): asn1js.Sequence {
  return critical ? sequence(oid(extnId), new asn1js.Boolean({ value: true }), octetString(valueDer)) : sequence(oid(extnId), octetString(valueDer));
}

/** Attribute { type, values SET }. */
export function attribute(type: string, ...values: asn1js.BaseBlock[]): asn1js.Sequence {
  return sequence(oid(type), set(...values));
}

/** DER SET OF ordering (X.690 §11.6): encodings compared as octet strings, shorter padded with zeros. */
export function derSetOf(members: readonly Uint8Array[]): asn1js.Set {
  const sorted = [...members].sort((a, b) => {
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const difference = (a[i] ?? 0) - (b[i] ?? 0);
      if (difference !== 0) return difference;
    }
    return 0;
  });
  return set(...sorted.map(raw));
}
