// PEM (RFC 7468) encoding and decoding, several blocks per text. No asn1js: used on `status`.
import { InputError } from '../errors.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

export function pemEncode(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every PEM block in the text, in order (text between blocks is ignored, as OpenSSL does). */
export function pemDecodeAll(text: string, what = 'PEM'): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(blockPattern)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== endLabel) throw new InputError(`${what}: BEGIN ${label} closed by END ${endLabel}`, 'PEM_MALFORMED');
    // Encrypted legacy PEM ("Proc-Type:" headers) is not base64 only: reject it by name.
    if (/^[A-Za-z-]+:/m.test(body)) throw new InputError(`${what}: ${label} has RFC 1421 headers (legacy encrypted PEM); use PKCS#8`, 'PEM_UNSUPPORTED');
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw new InputError(`${what}: ${label} block is not valid base64`, 'PEM_MALFORMED');
    }
    blocks.push({ label, der: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
  return blocks;
}

/** The DER of every block with the given label; an error when there is none. */
export function pemDecode(text: string, label: string, what = 'PEM'): Uint8Array[] {
  const blocks = pemDecodeAll(text, what).filter((block) => block.label === label);
  if (blocks.length === 0) throw new InputError(`${what}: no "${label}" block found`, 'PEM_NOT_FOUND');
  return blocks.map((block) => block.der);
}

export const certificatePem = (der: Uint8Array): string => pemEncode('CERTIFICATE', der);

/** Concatenated certificates (chain: issuer first; full chain: leaf then chain). */
export const certificatesPem = (ders: readonly Uint8Array[]): string => ders.map(certificatePem).join('');

/** Text or DER: a PEM certificate file's blocks, or the single DER certificate itself. */
export function readCertificates(data: Uint8Array | string, what = 'certificate file'): Uint8Array[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  if (text.includes('-----BEGIN')) return pemDecode(text, 'CERTIFICATE', what);
  if (typeof data === 'string') throw new InputError(`${what}: neither PEM nor DER`, 'PEM_NOT_FOUND');
  return [data];
}
