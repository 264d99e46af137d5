// Keys for the lab's throwaway PKI: generated with node:crypto, kept as PEM in the lab folder,
// and imported into WebCrypto only where pkijs needs a CryptoKey to sign.
import { createHash, createPrivateKey, generateKeyPair, webcrypto } from 'node:crypto';

export type SigningKey = webcrypto.CryptoKey;
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface LabKeyPair {
  /** PKCS#8 PEM (written 0600). */
  privateKeyPem: string;
  /** DER SubjectPublicKeyInfo. */
  spkiDer: Buffer;
}

export async function generateRsaKey(bits = 2048): Promise<LabKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

/** The RSA signing key in the form pkijs wants (RSASSA-PKCS1-v1_5 with SHA-256). */
export async function signingKeyFromPem(privateKeyPem: string): Promise<SigningKey> {
  const der = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
}

export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').toUpperCase();
}
