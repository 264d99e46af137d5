// Base64 as it appears in CEP/CES bodies: wrapped at 64 or 76 columns, with CR/LF (raw or as
// &#xD;, which the XML parser has already turned into CR), spaces or tabs. Anything else is an error:
// Buffer.from(…, 'base64') would silently skip garbage and hand back a truncated DER.
import { ProtocolError } from '../errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 text, ignoring XML whitespace; throws ProtocolError BASE64_INVALID naming `what` otherwise. */
export function decodeBase64(text: string, what = 'base64 value'): Uint8Array {
  const compact = text.replace(/[\s\r\n]+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1 || (compact.includes('=') && compact.length % 4 !== 0)) {
    throw new ProtocolError(`${what} is not valid base64`, 'BASE64_INVALID');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
