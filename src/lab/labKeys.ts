// Keys for the lab's throwaway PKI: generated with node:crypto, kept as PEM in the lab folder,
// and imported into WebCrypto only where pkijs needs a CryptoKey to sign.
import { createHash, createPrivateKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export type SigningKey = webcrypto.CryptoKey;

const generateKeyPairAsync = promisify(generateKeyPair);

export interface LabKeyPair {
  /** PKCS#8 PEM (written 0600). */
  privateKeyPem: string;
  /** DER SubjectPublicKeyInfo. */
  spkiDer: Buffer;
}

/**
 * EC P-256: what the lab creates for its CAs and HTTPS server. An ECDSA signature costs a fraction
 * of an RSA-2048 one, and the lab signs on every Issue (certificate and CMS) and every handshake.
 */
export async function generateEcKey(): Promise<LabKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  return exportPair(privateKey, publicKey);
}

function exportPair(privateKey: KeyObject, publicKey: KeyObject): LabKeyPair {
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

/**
 * The signing key in the form pkijs wants: RSASSA-PKCS1-v1_5 or ECDSA, both with SHA-256 (the
 * digest is chosen at signing time). Whatever is on disk is loaded: a lab folder created before the
 * lab used EC keys still holds RSA ones.
 */
export async function signingKeyFromPem(privateKeyPem: string): Promise<SigningKey> {
  const key = createPrivateKey(privateKeyPem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const namedCurve = ecCurveName(key.asymmetricKeyDetails?.namedCurve);
    return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`lab key: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
}

function ecCurveName(openSslName: string | undefined): string {
  switch (openSslName) {
    case 'prime256v1':
      return 'P-256';
    case 'secp384r1':
      return 'P-384';
    case 'secp521r1':
      return 'P-521';
    default:
      throw new Error(`lab key: unsupported EC curve ${openSslName ?? 'unknown'}`);
  }
}

export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').toUpperCase();
}
