// RFC 4514 distinguished names: text → DER Name. Each RDN is its own SET (a multi-valued RDN only
// where the text joins attributes with '+'); attribute order follows the text, reversed into DER
// order (the text names the most significant RDN last).
import * as asn1js from 'asn1js';
import { InputError } from '../errors.js';
import { dnShortNames } from './dnFormat.js';
import { derSetOf, oid, raw, sequence, toDer } from './asn1Build.js';

export interface DnAttributeValue {
  oid: string;
  /** Text value, or the raw DER of a '#hex' value. */
  value: string | Uint8Array;
}

/** RDNs in DER order (most significant first), each a list of attributes. */
export type ParsedDn = DnAttributeValue[][];

const oidByName: Record<string, string> = Object.fromEntries([
  ...Object.entries(dnShortNames).map(([oid, name]) => [name.toUpperCase(), oid]),
  ['EMAILADDRESS', '1.2.840.113549.1.9.1'],
  ['EMAIL', '1.2.840.113549.1.9.1'],
  ['COMMONNAME', '2.5.4.3'],
  ['SERIALNUMBER', '2.5.4.5'],
  ['S', '2.5.4.8'],
  ['GIVENNAME', '2.5.4.42'],
  ['SURNAME', '2.5.4.4'],
  ['TITLE', '2.5.4.12'],
]);

function dnError(message: string): InputError {
  return new InputError(`distinguished name: ${message}`, 'DN_INVALID');
}

/** Parses RFC 4514 text ('' is the empty Name). Spaces around ',', '+' and '=' are tolerated. */
export function parseDn(text: string): ParsedDn {
  const rdns: ParsedDn = [];
  if (text.trim() === '') return rdns;
  let rdn: DnAttributeValue[] = [];
  let i = 0;
  const skipSpaces = (): void => {
    while (text[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const typeStart = i;
    while (i < text.length && text[i] !== '=' && text[i] !== ',' && text[i] !== '+') i++;
    if (text[i] !== '=') throw dnError(`expected "type=value" at position ${typeStart + 1}`);
    const type = text.slice(typeStart, i).trim();
    i++;
    skipSpaces();
    const oid = resolveType(type);
    let value: string | Uint8Array;
    if (text[i] === '#') {
      const hexStart = ++i;
      while (i < text.length && /[0-9a-fA-F]/.test(text[i] as string)) i++;
      const hex = text.slice(hexStart, i);
      if (hex.length === 0 || hex.length % 2 !== 0) throw dnError(`bad #hex value for ${type}`);
      value = new Uint8Array(Buffer.from(hex, 'hex'));
      const parsed = asn1js.fromBER(value);
      if (parsed.offset !== value.length) throw dnError(`#hex value for ${type} is not one DER element`);
    } else {
      const bytes: number[] = [];
      let lastSignificant = 0;
      while (i < text.length && text[i] !== ',' && text[i] !== '+' && text[i] !== ';') {
        const ch = text[i] as string;
        if (ch === '\\') {
          const next = text[i + 1];
          if (next === undefined) throw dnError('a value ends with a lone backslash');
          if (/[0-9a-fA-F]{2}/.test(text.slice(i + 1, i + 3))) {
            bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
            i += 3;
          } else if (' "#+,;<=>\\'.includes(next)) {
            bytes.push(...Buffer.from(next, 'utf8'));
            i += 2;
          } else throw dnError(`invalid escape "\\${next}"`);
          lastSignificant = bytes.length;
        } else if (ch === '"') {
          throw dnError('unescaped \'"\' in a value');
        } else {
          const character = String.fromCodePoint(text.codePointAt(i) as number);
          bytes.push(...Buffer.from(character, 'utf8'));
          i += character.length;
          if (ch !== ' ') lastSignificant = bytes.length;
        }
      }
      value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes.slice(0, lastSignificant)));
    }
    rdn.push({ oid, value });
    skipSpaces();
    const separator = text[i];
    if (separator === '+') {
      i++;
      continue;
    }
    rdns.push(rdn);
    rdn = [];
    if (separator === undefined) break;
    i++; // ',' or ';'
  }
  return rdns.reverse();
}

function resolveType(type: string): string {
  const upper = type.toUpperCase();
  const dotted = upper.startsWith('OID.') ? type.slice(4) : type;
  if (/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) return dotted;
  const oid = oidByName[upper];
  if (oid === undefined) throw dnError(`unknown attribute type "${type}" (use a dotted OID)`);
  return oid;
}

const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** The string type RFC 5280 asks for: PrintableString for C and serialNumber, IA5String for DC and e-mail, UTF8String otherwise. */
function encodeValue(oid: string, value: string): asn1js.BaseBlock {
  if (oid === '2.5.4.6' || oid === '2.5.4.5') {
    if (!printable.test(value)) throw dnError(`${dnShortNames[oid]} must use printable characters`);
    if (oid === '2.5.4.6' && value.length !== 2) throw dnError('C must be a two-letter country code');
    return new asn1js.PrintableString({ value });
  }
  if (oid === '0.9.2342.19200300.100.1.25' || oid === '1.2.840.113549.1.9.1') {
    if (!/^[\x20-\x7e]*$/.test(value)) throw dnError(`${dnShortNames[oid]} must be ASCII`);
    return new asn1js.IA5String({ value });
  }
  return new asn1js.Utf8String({ value });
}

/** DER of one attribute (RDN members are then sorted as DER requires for SET OF). */
function encodeAttribute(attribute: DnAttributeValue): Uint8Array {
  const value = typeof attribute.value === 'string' ? encodeValue(attribute.oid, attribute.value) : raw(attribute.value);
  return toDer(sequence(oid(attribute.oid), value));
}

/** DER Name for RFC 4514 text (or an already parsed DN). */
export function encodeDn(dn: string | ParsedDn): Uint8Array {
  const rdns = typeof dn === 'string' ? parseDn(dn) : dn;
  return toDer(sequence(...rdns.map((rdn) => derSetOf(rdn.map(encodeAttribute)))));
}
