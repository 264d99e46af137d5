// PKCS#11 URIs (RFC 7512) for the objects autoenroll keeps in a token: `pkcs11:token=…;id=…;object=…`.
// Only the path attributes autoenroll reads or writes are understood; values are percent-encoded.
import { ConfigError } from '../errors.js';

export interface Pkcs11Uri {
  /** CKA_LABEL of the token (token=). */
  token?: string;
  /** Token serial number (serial=). */
  serial?: string;
  /** CKA_LABEL of the key objects (object=). */
  object?: string;
  /** CKA_ID of the key objects (id=), as bytes. */
  id?: Uint8Array;
}

const known = new Set(['token', 'serial', 'object', 'id', 'type', 'manufacturer', 'model', 'library-manufacturer', 'library-description', 'library-version', 'slot-description', 'slot-id', 'slot-manufacturer']);

/** True for a text that is a PKCS#11 URI (what a generation's key reference holds for a token key). */
export function isPkcs11Uri(text: string): boolean {
  return text.startsWith('pkcs11:');
}

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!isPkcs11Uri(text)) throw new ConfigError(`${JSON.stringify(text)} is not a PKCS#11 URI (expected pkcs11:token=LABEL;object=LABEL)`, {}, 'PKCS11_URI_INVALID');
  const path = text.slice('pkcs11:'.length).split('?')[0] ?? '';
  const uri: Pkcs11Uri = {};
  for (const part of path.split(';').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !known.has(name)) throw new ConfigError(`PKCS#11 URI ${JSON.stringify(text)}: unknown or malformed attribute "${name}"`, {}, 'PKCS11_URI_INVALID');
    const raw = part.slice(eq + 1);
    let bytes: Buffer;
    try {
      if (name !== 'id') bytes = Buffer.from(decodeURIComponent(raw), 'utf8');
      else bytes = Buffer.from(raw.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    } catch {
      throw new ConfigError(`PKCS#11 URI ${JSON.stringify(text)}: bad percent-encoding in "${name}"`, {}, 'PKCS11_URI_INVALID');
    }
    if (name === 'token') uri.token = bytes.toString('utf8');
    else if (name === 'serial') uri.serial = bytes.toString('utf8');
    else if (name === 'object') uri.object = bytes.toString('utf8');
    else if (name === 'id') uri.id = new Uint8Array(bytes);
  }
  return uri;
}

const encode = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  if (uri.token !== undefined) parts.push(`token=${encode(uri.token)}`);
  if (uri.serial !== undefined) parts.push(`serial=${encode(uri.serial)}`);
  if (uri.object !== undefined) parts.push(`object=${encode(uri.object)}`);
  if (uri.id !== undefined) parts.push(`id=${[...uri.id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`);
  return `pkcs11:${parts.join(';')}`;
}
