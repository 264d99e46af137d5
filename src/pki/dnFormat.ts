// DER Name → RFC 4514 text. Kept free of asn1js/pkijs: certInfo.ts (the `status` path) uses it.
import { Tag, at, items, readOid, readString, toHex, type Tlv } from './der.js';

/** Short names we print and accept, by OID (RFC 4514 §3 plus the names Windows and OpenSSL show). */
export const dnShortNames: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.5': 'SERIALNUMBER',
  '1.2.840.113549.1.9.1': 'E',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'T',
};

/** One attribute of an RDN as it appears in DER. */
export interface DnAttribute {
  oid: string;
  /** Decoded text, or undefined when the value is not a character string. */
  text: string | undefined;
  /** The whole DER value (tag, length, contents). */
  valueDer: Uint8Array;
}

/** The RDNs of a Name, in DER order (most significant first). */
export function readName(name: Tlv, what = 'Name'): DnAttribute[][] {
  return items(name, Tag.SEQUENCE, what).map((rdn) =>
    items(rdn, Tag.SET, `${what} RDN`, 1).map((pair) => {
      const parts = items(pair, Tag.SEQUENCE, `${what} attribute`, 2);
      const valueTlv = at(parts, 1, `${what} attribute value`);
      return {
        oid: readOid(at(parts, 0, `${what} attribute type`), `${what} attribute type`),
        text: readString(valueTlv, `${what} attribute value`),
        valueDer: valueTlv.bytes,
      };
    }),
  );
}

/** RFC 4514 string of a DER Name: RDNs in reverse DER order, ',' between RDNs, '+' inside one. */
export function formatName(name: Tlv, what = 'Name'): string {
  return readName(name, what)
    .reverse()
    .map((rdn) => rdn.map(formatAttribute).join('+'))
    .join(',');
}

function formatAttribute(attribute: DnAttribute): string {
  const type = dnShortNames[attribute.oid] ?? attribute.oid;
  const value = attribute.text === undefined ? `#${toHex(attribute.valueDer)}` : escapeDnValue(attribute.text);
  return `${type}=${value}`;
}

/** Escapes an attribute value per RFC 4514 §2.4. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\0') out += '\\00';
    else if ('"+,;<>\\'.includes(ch)) out += `\\${ch}`;
    else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

