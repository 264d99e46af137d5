// Parsed X.509 certificates, kept by content. OpenSSL 3 decodes a certificate's public key through
// its provider decoders on every parse (≈ 0.2–0.4 ms), and a pass installs many certificates issued
// by the same few CA certificates (from the policy, the CMC response and the trust anchors), each
// parsed and checked against its issuer again for every certificate; the issued certificate itself
// is parsed once to check its chain and once more to describe it. Keyed by the SHA-256 of the DER,
// so a hit is the same bytes; bounded, least recently used first out. Failures are never kept.
import { X509Certificate, createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface ParsedX509 {
  /** SHA-256 of the DER (base64): the cache key. */
  readonly digest: string;
  readonly x509: X509Certificate;
}

const MAX_CERTIFICATES = 256;
const MAX_LINKS = 1024;

const certificates = new Map<string, ParsedX509>();
const publicKeys = new WeakMap<ParsedX509, KeyObject>();
/** `${subject digest} ${issuer digest}` → subject.checkIssued(issuer) && subject.verify(issuer key). */
const links = new Map<string, boolean>();

/** new X509Certificate(der), or the one already made from the same bytes. Throws what the constructor throws. */
export function parseX509(der: Uint8Array): ParsedX509 {
  const digest = createHash('sha256').update(der).digest('base64');
  const cached = certificates.get(digest);
  if (cached !== undefined) {
    certificates.delete(digest);
    certificates.set(digest, cached);
    return cached;
  }
  const parsed: ParsedX509 = { digest, x509: new X509Certificate(der) };
  certificates.set(digest, parsed);
  if (certificates.size > MAX_CERTIFICATES) {
    const oldest = certificates.keys().next().value;
    if (oldest !== undefined) certificates.delete(oldest);
  }
  return parsed;
}

function publicKeyOf(certificate: ParsedX509): KeyObject {
  let key = publicKeys.get(certificate);
  if (key === undefined) {
    key = certificate.x509.publicKey;
    publicKeys.set(certificate, key);
  }
  return key;
}

/** `issuer` issued `subject`: names/key identifiers match and the signature verifies with the issuer's key. False on any error. */
export function issuedBy(subject: ParsedX509, issuer: ParsedX509): boolean {
  const link = `${subject.digest} ${issuer.digest}`;
  const known = links.get(link);
  if (known !== undefined) return known;
  let result: boolean;
  try {
    result = subject.x509.checkIssued(issuer.x509) && subject.x509.verify(publicKeyOf(issuer));
  } catch {
    result = false;
  }
  if (links.size >= MAX_LINKS) links.clear();
  links.set(link, result);
  return result;
}
