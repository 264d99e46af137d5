// Key pairs with node:crypto (native, off the event loop), key choice from a template, and PKCS#8
// key files. No asn1js/pkijs here: `status` loads this module.
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCallback, randomBytes, type KeyObject } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, CredentialError, InputError } from '../errors.js';

export type RsaBits = 2048 | 3072 | 4096;
export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export type KeySpec = { algorithm: 'RSA'; bits: RsaBits } | { algorithm: 'EC'; curve: EcCurve };

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spec: KeySpec;
}

const generate = promisify(generateKeyPairCallback);
const opensslCurve: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
export const curveBits: Record<EcCurve, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };
const rsaSizes: readonly RsaBits[] = [2048, 3072, 4096];

export async function generateKeyPair(spec: KeySpec): Promise<KeyPair> {
  const { privateKey, publicKey } =
    spec.algorithm === 'RSA'
      ? await generate('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 })
      : await generate('ec', { namedCurve: opensslCurve[spec.curve] });
  return { privateKey, publicKey, spec };
}

/** 'rsa:2048' | 'rsa:3072' | 'rsa:4096' | 'ec:p256' | 'ec:p384' | 'ec:p521' (case-insensitive; 'ec:P-256' too). */
export function parseKeySpec(text: string): KeySpec {
  const match = /^(rsa|ec|ecdsa):(?:(\d{4})|p-?(256|384|521))$/i.exec(text.trim());
  if (match?.[1]?.toLowerCase() === 'rsa' && match[2] !== undefined) {
    const bits = Number(match[2]);
    if ((rsaSizes as number[]).includes(bits)) return { algorithm: 'RSA', bits: bits as RsaBits };
  } else if (match !== null && match[1]?.toLowerCase() !== 'rsa' && match[3] !== undefined) {
    return { algorithm: 'EC', curve: `P-${match[3]}` as EcCurve };
  }
  throw new ConfigError(`key type ${JSON.stringify(text)} is not one of rsa:2048, rsa:3072, rsa:4096, ec:p256, ec:p384, ec:p521`, {}, 'KEY_SPEC_INVALID');
}

export function formatKeySpec(spec: KeySpec): string {
  return spec.algorithm === 'RSA' ? `rsa:${spec.bits}` : `ec:${spec.curve.replace('-', '').toLowerCase()}`;
}

/** What a template asks of the key (policy `minimalKeyLength` and `algorithmOIDReference` resolved to an OID). */
export interface TemplateKeyRequirements {
  minimalKeyLength: number;
  algorithmOid?: string;
}

const ecCurveOids: Record<string, EcCurve> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };

/** True for the OIDs a template uses to ask for an elliptic-curve key (ECC, ECDSA, ECDH, named curves). */
export function isEcAlgorithmOid(oid: string): boolean {
  return oid === '1.2.840.10045.2.1' || oid.startsWith('1.2.840.10045.4.') || oid === '1.3.132.1.12' || oid in ecCurveOids;
}

export function keySpecSatisfies(spec: KeySpec, template: TemplateKeyRequirements): boolean {
  const wantsEc = template.algorithmOid !== undefined && isEcAlgorithmOid(template.algorithmOid);
  if (template.algorithmOid !== undefined && (spec.algorithm === 'EC') !== wantsEc) return false;
  const curve = template.algorithmOid !== undefined ? ecCurveOids[template.algorithmOid] : undefined;
  if (spec.algorithm === 'EC' && curve !== undefined && spec.curve !== curve) return false;
  const size = spec.algorithm === 'RSA' ? spec.bits : curveBits[spec.curve];
  return size >= template.minimalKeyLength;
}

/** A requested key: the algorithm, and the size or curve when the request names one. */
export type KeyPreference = { algorithm: 'RSA'; bits?: RsaBits } | { algorithm: 'EC'; curve?: EcCurve };

/** Who asked for a key and how to change the request, for the error when the template refuses it. */
export interface KeyRequestLabel {
  /** 'certificate "web"', 'request'. */
  owner: string;
  /** Template name as the user knows it. */
  template: string;
  /** Where the key is asked for: 'certificates[].key', '--key'. */
  option: string;
  /** The option's value that would ask for `spec`, e.g. '{ algorithm: RSA, size: 2048 }' or 'rsa:2048'. */
  suggest(spec: KeySpec): string;
}

/** "RSA of at least 2048 bits", "an EC key on P-384", "an EC key of at least 256 bits", "a key of at least 256 bits". */
export function describeKeyRequirements(template: TemplateKeyRequirements): string {
  const minimum = Number.isFinite(template.minimalKeyLength) ? template.minimalKeyLength : 0;
  const atLeast = minimum > 0 ? ` of at least ${minimum} bits` : '';
  if (template.algorithmOid === undefined) return `a key${atLeast || ' of any size'}`;
  if (!isEcAlgorithmOid(template.algorithmOid)) return `an RSA key${atLeast}`;
  const named = ecCurveOids[template.algorithmOid];
  return named !== undefined ? `an EC key on ${named}` : `an EC key${atLeast}`;
}

function formatPreference(preference: KeyPreference): string {
  if (preference.algorithm === 'RSA') return preference.bits !== undefined ? formatKeySpec({ algorithm: 'RSA', bits: preference.bits }) : 'rsa (any size)';
  return preference.curve !== undefined ? formatKeySpec({ algorithm: 'EC', curve: preference.curve }) : 'ec (any curve)';
}

/** The smallest key of the preferred algorithm that satisfies the template, if there is one. */
function smallestOf(preference: KeyPreference, template: TemplateKeyRequirements): KeySpec | undefined {
  const candidates: KeySpec[] =
    preference.algorithm === 'RSA'
      ? preference.bits !== undefined ? [{ algorithm: 'RSA', bits: preference.bits }] : rsaSizes.map((bits) => ({ algorithm: 'RSA' as const, bits }))
      : preference.curve !== undefined ? [{ algorithm: 'EC', curve: preference.curve }] : (Object.keys(curveBits) as EcCurve[]).map((curve) => ({ algorithm: 'EC' as const, curve }));
  return candidates.find((spec) => keySpecSatisfies(spec, template));
}

/** What the template asks for when nothing is requested (see keySpecForTemplate). */
function automaticKeySpec(template: TemplateKeyRequirements): KeySpec | undefined {
  const minimum = Number.isFinite(template.minimalKeyLength) ? template.minimalKeyLength : 0;
  if (template.algorithmOid !== undefined && isEcAlgorithmOid(template.algorithmOid)) {
    const named = ecCurveOids[template.algorithmOid];
    if (named !== undefined) return { algorithm: 'EC', curve: named };
    const curve = (Object.keys(curveBits) as EcCurve[]).find((c) => curveBits[c] >= minimum);
    return curve !== undefined ? { algorithm: 'EC', curve } : undefined;
  }
  const bits = rsaSizes.find((size) => size >= minimum);
  return bits !== undefined ? { algorithm: 'RSA', bits } : undefined;
}

/**
 * The key to generate for a template. Nothing requested: an EC key when the template's algorithm
 * is ECDSA/ECDH (curve from the curve OID or the key length), else RSA sized up to the smallest of
 * 2048/3072/4096 >= minimalKeyLength. A requested key is never swapped for another one: a size or
 * curve is used as asked, an algorithm alone gets its smallest size that satisfies the template,
 * and a request the template refuses is a ConfigError (KEY_SPEC_UNSATISFIABLE) naming who asked,
 * the key, the template's requirement and the fix — before any key is generated or request sent.
 */
export function keySpecForTemplate(template: TemplateKeyRequirements, requested?: KeyPreference, label?: KeyRequestLabel): KeySpec {
  const automatic = automaticKeySpec(template);
  if (requested !== undefined) {
    const chosen = smallestOf(requested, template);
    if (chosen !== undefined) return chosen;
    const who = label ? `${label.owner}: ` : '';
    const where = label ? ` template "${label.template}"` : ' the template';
    const fix = label
      ? automatic !== undefined
        ? `set ${label.option} to ${label.suggest(automatic)} (or a larger key of that kind), or leave ${label.option} out to use what the template requires`
        : `the template asks for more than autoenroll can generate`
      : automatic !== undefined
        ? `request ${formatKeySpec(automatic)} instead`
        : 'the template asks for more than autoenroll can generate';
    throw new ConfigError(
      `${who}the requested key ${formatPreference(requested)} does not satisfy${where}, which requires ${describeKeyRequirements(template)}; ${fix}`,
      {},
      'KEY_SPEC_UNSATISFIABLE',
    );
  }
  if (automatic !== undefined) return automatic;
  const minimum = Number.isFinite(template.minimalKeyLength) ? template.minimalKeyLength : 0;
  throw new ConfigError(`${label ? `${label.owner}: template "${label.template}"` : 'the template'} requires a key of at least ${minimum} bits, more than autoenroll can generate`, {}, 'KEY_SPEC_UNSATISFIABLE');
}

/** The KeySpec of an existing key (for same-key renewal), or undefined for other key kinds. */
export function keySpecOf(key: KeyObject): KeySpec | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && (rsaSizes as number[]).includes(details?.modulusLength ?? 0)) {
    return { algorithm: 'RSA', bits: details?.modulusLength as RsaBits };
  }
  const curve = (Object.keys(opensslCurve) as EcCurve[]).find((c) => opensslCurve[c] === details?.namedCurve);
  return key.asymmetricKeyType === 'ec' && curve !== undefined ? { algorithm: 'EC', curve } : undefined;
}

/** PKCS#8 PEM; with a passphrase, PBES2 (PBKDF2) + AES-256-CBC ("ENCRYPTED PRIVATE KEY"). */
export function privateKeyToPem(key: KeyObject, passphrase?: string): string {
  if (passphrase !== undefined && passphrase !== '') {
    return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
  }
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Reads a PEM private key (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1). */
export function loadPrivateKey(pem: string | Uint8Array, passphrase?: string): KeyObject {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const encrypted = text.includes('ENCRYPTED');
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new CredentialError('the private key is encrypted and no passphrase was given', 'KEY_PASSPHRASE_MISSING');
  }
  try {
    return createPrivateKey(passphrase !== undefined && passphrase !== '' ? { key: text, format: 'pem', passphrase } : { key: text, format: 'pem' });
  } catch (error) {
    // The messages of node:crypto never contain the passphrase; they are still not passed on verbatim.
    if (encrypted) throw new CredentialError('the private key could not be decrypted: wrong passphrase or damaged file', 'KEY_PASSPHRASE_WRONG');
    throw new InputError('the private key file is not a readable PEM private key', 'KEY_UNREADABLE', { cause: error });
  }
}

/** The public key of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/**
 * Writes the key atomically: a temp file created with mode 0600 (never readable by others, not
 * even briefly), written, fsynced, renamed over `path`, then the directory fsynced.
 */
export async function writePrivateKeyFile(path: string, key: KeyObject, passphrase?: string): Promise<void> {
  const pem = privateKeyToPem(key, passphrase);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(pem, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const directory = await open(dirname(path), 'r').catch(() => undefined);
  if (directory !== undefined) {
    await directory.sync().catch(() => undefined);
    await directory.close();
  }
}
