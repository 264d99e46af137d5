// Signature checks for what the decoders read (CSR, CMS signers), with node:crypto (synchronous).
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Tag, at, children, context, items, readOid, readSmallInt, type Tlv } from './der.js';
import { Oid, hashByOid } from './oids.js';

export interface AlgorithmIdentifier {
  oid: string;
  params: Tlv | undefined;
}

export function readAlgorithmIdentifier(tlv: Tlv, what: string): AlgorithmIdentifier {
  const parts = items(tlv, Tag.SEQUENCE, what, 1);
  return { oid: readOid(at(parts, 0, what), what), params: parts[1] };
}

const hashBySignatureOid: Readonly<Record<string, string>> = {
  [Oid.sha1WithRsa]: 'sha1',
  '1.3.14.3.2.29': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  [Oid.sha256WithRsa]: 'sha256',
  [Oid.sha384WithRsa]: 'sha384',
  [Oid.sha512WithRsa]: 'sha512',
  [Oid.ecdsaWithSha1]: 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  [Oid.ecdsaWithSha256]: 'sha256',
  [Oid.ecdsaWithSha384]: 'sha384',
  [Oid.ecdsaWithSha512]: 'sha512',
};

/**
 * True when `signature` over `data` verifies with the key. `digestOid` is the CMS digestAlgorithm,
 * needed when the signature algorithm is a bare key algorithm (rsaEncryption, ecPublicKey).
 * Unknown algorithms, unusable keys and malformed parameters count as "does not verify".
 */
export function verifySignature(
  algorithm: AlgorithmIdentifier,
  publicKey: Uint8Array | KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  digestOid?: string,
): boolean {
  try {
    const key = publicKey instanceof Uint8Array ? createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }) : publicKey;
    if (algorithm.oid === Oid.rsaPss) {
      const pss = readPssParams(algorithm.params);
      if (pss === undefined) return false;
      return verify(pss.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature);
    }
    let hash = hashBySignatureOid[algorithm.oid];
    if (hash === undefined && (algorithm.oid === Oid.rsaEncryption || algorithm.oid === Oid.ecPublicKey) && digestOid !== undefined) {
      hash = hashByOid[digestOid];
    }
    if (hash === undefined) return false;
    const isRsa = key.asymmetricKeyType === 'rsa';
    const isEcAlgorithm = algorithm.oid.startsWith('1.2.840.10045.');
    if (isRsa === isEcAlgorithm) return false;
    return verify(hash, data, isRsa ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** RSASSA-PSS-params; undefined when the MGF1 hash differs from the message hash (node:crypto cannot check that). */
function readPssParams(params: Tlv | undefined): { hash: string; saltLength: number } | undefined {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let saltLength = 20;
  if (params !== undefined && params.tag === Tag.SEQUENCE) {
    for (const field of children(params, 'RSASSA-PSS parameters')) {
      const inner = at(children(field, 'RSASSA-PSS parameter'), 0, 'RSASSA-PSS parameter');
      if (field.tag === context(0, true)) hash = hashByOid[readAlgorithmIdentifier(inner, 'PSS hash').oid] ?? '';
      else if (field.tag === context(1, true)) {
        const mgf = readAlgorithmIdentifier(inner, 'PSS mask generation');
        if (mgf.oid !== Oid.mgf1 || mgf.params === undefined) return undefined;
        mgfHash = hashByOid[readAlgorithmIdentifier(mgf.params, 'MGF1 hash').oid] ?? '';
      } else if (field.tag === context(2, true)) saltLength = readSmallInt(inner, 'PSS salt length');
    }
  }
  if (hash === '' || hash !== mgfHash) return undefined;
  return { hash, saltLength };
}
