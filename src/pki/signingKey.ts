// The key that signs a request, a renewal CMS or CMC: a node:crypto private key (key files), or a
// key held in a PKCS#11 token, of which only the public half and a signing function are here.
// A generation records its key as a string: a PEM private key, or the PKCS#11 URI of the token
// object (see resolveSigningKey). Token signatures are hash-then-sign: the digest is computed
// here, the token signs a DigestInfo (RSA PKCS#1 v1.5) or the bare digest (ECDSA, r||s → DER).
import * as asn1js from 'asn1js';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { InternalError } from '../errors.js';
import { algorithmIdentifier, octetString, sequence, toDer } from './asn1Build.js';
import { loadPrivateKey } from './keys.js';
import { Oid } from './oids.js';
import { isPkcs11Uri, parsePkcs11Uri } from './pkcs11Uri.js';
import { openTokenFor, tokenPublicKey, tokenSign } from './pkcs11Token.js';

/** A private key that stays in a PKCS#11 token. */
export interface TokenKey {
  kind: 'pkcs11';
  /** pkcs11:token=…;object=…;id=… */
  uri: string;
  publicKey: KeyObject;
}

export type SigningKey = KeyObject | TokenKey;

export function isTokenKey(key: SigningKey): key is TokenKey {
  return (key as TokenKey).kind === 'pkcs11';
}

/** The public key of a signing key. */
export function publicOf(key: SigningKey): KeyObject {
  return isTokenKey(key) ? key.publicKey : createPublicKey(key);
}

export function spkiOf(key: SigningKey): Uint8Array {
  return new Uint8Array(publicOf(key).export({ type: 'spki', format: 'der' }));
}

/**
 * The key a stored key reference names: a PKCS#11 URI (the token must have been opened for this
 * process by openConfiguredToken, which has the module and PIN) or a PEM private key.
 */
export function resolveSigningKey(keyReference: string): SigningKey {
  if (!isPkcs11Uri(keyReference)) return loadPrivateKey(keyReference);
  const token = openTokenFor(parsePkcs11Uri(keyReference));
  if (token === undefined) {
    throw new InternalError(`the token of ${keyReference} is not open in this process (no certificate with key.pkcs11 names it)`, 'PKCS11_TOKEN_NOT_OPEN');
  }
  return { kind: 'pkcs11', uri: keyReference, publicKey: tokenPublicKey(token, keyReference) };
}

const digestOidByHash: Record<string, string> = { sha256: Oid.sha256, sha384: Oid.sha384, sha512: Oid.sha512 };

/** An unsigned big-endian integer as a DER INTEGER (leading zeros dropped, a 0x00 added for a high bit). */
function unsignedInteger(bytes: Uint8Array): asn1js.Integer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmedBytes = bytes.subarray(start);
  const value = (trimmedBytes[0] ?? 0) & 0x80 ? Uint8Array.from([0, ...trimmedBytes]) : Uint8Array.from(trimmedBytes);
  return new asn1js.Integer({ valueHex: value });
}

/** Signs `data` with a token key: RSA PKCS#1 v1.5 or ECDSA (DER signature), hash `hash`. */
export function signWithTokenKey(key: TokenKey, hash: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Uint8Array {
  const token = openTokenFor(parsePkcs11Uri(key.uri));
  if (token === undefined) throw new InternalError(`the token of ${key.uri} is not open in this process`, 'PKCS11_TOKEN_NOT_OPEN');
  const digest = createHash(hash).update(data).digest();
  if (key.publicKey.asymmetricKeyType === 'rsa') {
    const digestInfo = toDer(sequence(algorithmIdentifier(digestOidByHash[hash] as string, null), octetString(digest)));
    return new Uint8Array(tokenSign(token, key.uri, 'rsa-pkcs1', digestInfo));
  }
  const rs = tokenSign(token, key.uri, 'ecdsa', digest);
  const half = rs.length / 2;
  return toDer(sequence(unsignedInteger(rs.subarray(0, half)), unsignedInteger(rs.subarray(half))));
}
