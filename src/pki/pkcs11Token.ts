// Keys in a PKCS#11 token (pkcs11js, an optional native module): a token opened and logged in once
// per process (module, token label, PIN), key pairs generated in it (private half CKA_TOKEN,
// CKA_SENSITIVE, not CKA_EXTRACTABLE), found again by CKA_ID, raw signatures by C_Sign, and
// objects destroyed when their generation is pruned. Failures are typed errors naming the fix.
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Pkcs11Binding, Pkcs11Library, Pkcs11Mechanism, Pkcs11Template } from './pkcs11Binding.js';
import { ConfigError, CredentialError, InputError } from '../errors.js';
import { OPTIONAL_MODULES, loadOptionalModule } from '../native/optionalModule.js';
import type { EcCurve, KeySpec } from './keys.js';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './pkcs11Uri.js';

type Binding = Pkcs11Binding;

export interface TokenSettings {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  module: string;
  /** The configured URI: token= (or serial=) names the token, object= the label prefix of our keys. */
  uri: string;
  pin: string;
}

/** An open, logged-in session on one token. */
export interface TokenSession {
  settings: TokenSettings;
  binding: Binding;
  library: Pkcs11Library;
  session: Buffer;
  token: Pkcs11Uri;
}

const libraries = new Map<string, Pkcs11Library>();
const sessions = new Map<string, TokenSession>();

function loadBinding(): Binding {
  try {
    return loadOptionalModule<Binding>(OPTIONAL_MODULES.pkcs11);
  } catch (error) {
    throw new ConfigError(`keys in a PKCS#11 token cannot be used: ${(error as Error).message}`, {}, 'PKCS11_UNAVAILABLE');
  }
}

function code(error: unknown): number | undefined {
  return typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : undefined;
}

function openLibrary(binding: Binding, module: string): Pkcs11Library {
  const cached = libraries.get(module);
  if (cached) return cached;
  if (!existsSync(module)) {
    throw new ConfigError(`the PKCS#11 module ${module} does not exist; install the token's PKCS#11 library (for SoftHSM: apt-get install softhsm2, module /usr/lib/softhsm/libsofthsm2.so) and set key.pkcs11.module to its path`, {}, 'PKCS11_MODULE_MISSING');
  }
  const library = new binding.PKCS11();
  try {
    library.load(module);
  } catch (error) {
    throw new ConfigError(`the PKCS#11 module ${module} cannot be loaded (${(error as Error).message}); set key.pkcs11.module to the token's PKCS#11 library for this platform`, {}, 'PKCS11_MODULE_UNLOADABLE');
  }
  try {
    library.C_Initialize();
  } catch (error) {
    if (code(error) !== binding.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw new ConfigError(`the PKCS#11 module ${module} failed to initialise (${(error as Error).message}); check its configuration (for SoftHSM, SOFTHSM2_CONF and the token folder's permissions)`, {}, 'PKCS11_MODULE_UNLOADABLE');
    }
  }
  libraries.set(module, library);
  return library;
}

const trimmed = (text: string): string => text.replace(/[\s\0]+$/, '');

/** Opens (or reuses) a logged-in read-write session on the token the URI names. */
export function openToken(settings: TokenSettings): TokenSession {
  const key = `${settings.module}\0${settings.uri}`;
  const cached = sessions.get(key);
  if (cached && cached.settings.pin === settings.pin) return cached;
  const binding = loadBinding();
  const library = openLibrary(binding, settings.module);
  const token = parsePkcs11Uri(settings.uri);
  if (token.token === undefined && token.serial === undefined) {
    throw new ConfigError(`key.pkcs11.uri ${settings.uri} names no token; write pkcs11:token=LABEL (the label given at token initialisation)`, {}, 'PKCS11_URI_INVALID');
  }
  const slots = library.C_GetSlotList(true);
  const seen: string[] = [];
  const slot = slots.find((candidate) => {
    const info = library.C_GetTokenInfo(candidate);
    seen.push(trimmed(info.label));
    return (token.token === undefined || trimmed(info.label) === token.token) && (token.serial === undefined || trimmed(info.serialNumber) === token.serial);
  });
  if (slot === undefined) {
    throw new CredentialError(
      `no token ${token.token !== undefined ? `labelled "${token.token}"` : `with serial ${token.serial ?? ''}`} in ${settings.module} (tokens present: ${seen.length > 0 ? seen.map((s) => `"${s}"`).join(', ') : 'none'}); insert or initialise the token, or correct key.pkcs11.uri`,
      'PKCS11_TOKEN_MISSING',
    );
  }
  const session = library.C_OpenSession(slot, binding.CKF_SERIAL_SESSION | binding.CKF_RW_SESSION);
  try {
    library.C_Login(session, binding.CKU_USER, settings.pin);
  } catch (error) {
    const status = code(error);
    if (status !== binding.CKR_USER_ALREADY_LOGGED_IN) {
      library.C_CloseSession(session);
      if (status === binding.CKR_PIN_INCORRECT || status === binding.CKR_PIN_LEN_RANGE || status === binding.CKR_PIN_INVALID) {
        throw new CredentialError(`the PIN of token "${token.token ?? token.serial ?? ''}" is wrong; correct the secret named by key.pkcs11.pin (repeated wrong PINs lock the token)`, 'PKCS11_PIN_WRONG');
      }
      if (status === binding.CKR_PIN_LOCKED) throw new CredentialError(`token "${token.token ?? ''}" is locked after wrong PINs; unlock it with the security officer PIN`, 'PKCS11_PIN_LOCKED');
      throw new CredentialError(`logging in to token "${token.token ?? ''}" failed (${(error as Error).message})`, 'PKCS11_LOGIN_FAILED');
    }
  }
  const opened: TokenSession = { settings, binding, library, session, token };
  sessions.set(key, opened);
  return opened;
}

/** The open session on the token a key URI names (token= and/or serial=), if this process has one. */
export function openTokenFor(uri: Pkcs11Uri): TokenSession | undefined {
  for (const opened of sessions.values()) {
    if (uri.token !== undefined && opened.token.token !== uri.token) continue;
    if (uri.serial !== undefined && opened.token.serial !== uri.serial) continue;
    if (uri.token === undefined && uri.serial === undefined) continue;
    return opened;
  }
  return undefined;
}

/** Closes every session this process opened (tests; a long-running agent keeps them). */
export function closeTokens(): void {
  for (const opened of sessions.values()) {
    try {
      opened.library.C_CloseSession(opened.session);
    } catch {
      // Already closed with the library.
    }
  }
  sessions.clear();
  for (const library of libraries.values()) {
    try {
      library.C_Finalize();
    } catch {
      // Finalised already.
    }
  }
  libraries.clear();
}

const curveOids: Record<EcCurve, Buffer> = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
  'P-521': Buffer.from('06052b81040023', 'hex'),
};

/** A key object in a token: where it is, and its public key. */
export interface TokenKeyObject {
  /** pkcs11:token=…;object=…;id=… — what the generation records instead of a key file. */
  uri: string;
  publicKey: KeyObject;
}

function findObjects(t: TokenSession, template: Pkcs11Template): Buffer[] {
  t.library.C_FindObjectsInit(t.session, template);
  try {
    return t.library.C_FindObjects(t.session, 16);
  } finally {
    t.library.C_FindObjectsFinal(t.session);
  }
}

function publicKeyOfObject(t: TokenSession, handle: Buffer): KeyObject {
  const b = t.binding;
  const [type] = t.library.C_GetAttributeValue(t.session, handle, [{ type: b.CKA_KEY_TYPE }]);
  const keyType = Number((type?.value as Buffer).readBigUInt64LE(0));
  if (keyType === b.CKK_RSA) {
    const [n, e] = t.library.C_GetAttributeValue(t.session, handle, [{ type: b.CKA_MODULUS }, { type: b.CKA_PUBLIC_EXPONENT }]);
    return createPublicKey({ key: { kty: 'RSA', n: (n?.value as Buffer).toString('base64url'), e: (e?.value as Buffer).toString('base64url') }, format: 'jwk' });
  }
  const [params, point] = t.library.C_GetAttributeValue(t.session, handle, [{ type: b.CKA_EC_PARAMS }, { type: b.CKA_EC_POINT }]);
  const curve = (Object.keys(curveOids) as EcCurve[]).find((c) => curveOids[c].equals(params?.value as Buffer));
  if (curve === undefined) throw new InputError('the token key is on an elliptic curve autoenroll does not use (P-256, P-384, P-521 only)', 'KEY_UNSUPPORTED');
  let raw = point?.value as Buffer;
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (some modules omit the wrapper).
  if (raw[0] === 0x04 && raw[1] === raw.length - 2) raw = raw.subarray(2);
  else if (raw[0] === 0x04 && raw[1] === 0x81 && raw[2] === raw.length - 3) raw = raw.subarray(3);
  const size = (raw.length - 1) / 2;
  return createPublicKey({ key: { kty: 'EC', crv: curve, x: raw.subarray(1, 1 + size).toString('base64url'), y: raw.subarray(1 + size).toString('base64url') }, format: 'jwk' });
}

/** Generates a key pair in the token with CKA_LABEL `label` and a fresh random CKA_ID, both in the returned URI. */
export async function generateTokenKey(t: TokenSession, spec: KeySpec, label: string): Promise<TokenKeyObject> {
  const b = t.binding;
  const id = randomBytes(16);
  const common = [
    { type: b.CKA_TOKEN, value: true },
    { type: b.CKA_ID, value: id },
    { type: b.CKA_LABEL, value: label },
  ];
  const publicTemplate: Pkcs11Template = [...common, { type: b.CKA_VERIFY, value: true }, { type: b.CKA_PRIVATE, value: false }];
  const privateTemplate: Pkcs11Template = [
    ...common,
    { type: b.CKA_SIGN, value: true },
    { type: b.CKA_PRIVATE, value: true },
    { type: b.CKA_SENSITIVE, value: true },
    { type: b.CKA_EXTRACTABLE, value: false },
  ];
  let mechanism: Pkcs11Mechanism;
  if (spec.algorithm === 'RSA') {
    mechanism = { mechanism: b.CKM_RSA_PKCS_KEY_PAIR_GEN };
    publicTemplate.push({ type: b.CKA_MODULUS_BITS, value: spec.bits }, { type: b.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
  } else {
    mechanism = { mechanism: b.CKM_EC_KEY_PAIR_GEN };
    publicTemplate.push({ type: b.CKA_EC_PARAMS, value: curveOids[spec.curve] });
  }
  const pair = await t.library.C_GenerateKeyPairAsync(t.session, mechanism, publicTemplate, privateTemplate);
  const uri = formatPkcs11Uri({ ...withoutObject(t.token), object: label, id });
  return { uri, publicKey: publicKeyOfObject(t, pair.publicKey) };
}

function withoutObject(token: Pkcs11Uri): Pkcs11Uri {
  const copy: Pkcs11Uri = {};
  if (token.token !== undefined) copy.token = token.token;
  if (token.serial !== undefined) copy.serial = token.serial;
  return copy;
}

function objectTemplate(t: TokenSession, uri: Pkcs11Uri, objectClass: number): Pkcs11Template {
  const template: Pkcs11Template = [{ type: t.binding.CKA_CLASS, value: objectClass }];
  if (uri.id !== undefined) template.push({ type: t.binding.CKA_ID, value: Buffer.from(uri.id) });
  if (uri.object !== undefined) template.push({ type: t.binding.CKA_LABEL, value: uri.object });
  return template;
}

/** The private key object a key URI names; a KeyMissing CredentialError when it is gone. */
export function findPrivateKey(t: TokenSession, keyUri: string): Buffer {
  const uri = parsePkcs11Uri(keyUri);
  const [handle] = findObjects(t, objectTemplate(t, uri, t.binding.CKO_PRIVATE_KEY));
  if (handle === undefined) {
    throw new CredentialError(
      `the private key ${keyUri} is no longer in the token (deleted outside autoenroll?); the certificate cannot be renewed with it; to enroll again with a new key, move the certificate's folder (stateDir/certs/<id>) aside and run "autoenroll enroll" with enrollment credentials`,
      'PKCS11_KEY_MISSING',
    );
  }
  return handle;
}

/** The public key of the key pair a URI names (from the public or the private object). */
export function tokenPublicKey(t: TokenSession, keyUri: string): KeyObject {
  const uri = parsePkcs11Uri(keyUri);
  const [publicHandle] = findObjects(t, objectTemplate(t, uri, t.binding.CKO_PUBLIC_KEY));
  return publicKeyOfObject(t, publicHandle ?? findPrivateKey(t, keyUri));
}

/** CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_TOKEN of the private key object (doctor, tests). */
export function privateKeyProtection(t: TokenSession, keyUri: string): { sensitive: boolean; extractable: boolean; token: boolean } {
  const b = t.binding;
  const values = t.library.C_GetAttributeValue(t.session, findPrivateKey(t, keyUri), [{ type: b.CKA_SENSITIVE }, { type: b.CKA_EXTRACTABLE }, { type: b.CKA_TOKEN }]);
  const flag = (index: number): boolean => ((values[index]?.value as Buffer)[0] ?? 0) !== 0;
  return { sensitive: flag(0), extractable: flag(1), token: flag(2) };
}

/** Raw C_Sign with the private key: CKM_RSA_PKCS over a DigestInfo, or CKM_ECDSA over a digest (r||s). */
export function tokenSign(t: TokenSession, keyUri: string, mechanism: 'rsa-pkcs1' | 'ecdsa', input: Uint8Array): Buffer {
  const b = t.binding;
  const handle = findPrivateKey(t, keyUri);
  t.library.C_SignInit(t.session, { mechanism: mechanism === 'rsa-pkcs1' ? b.CKM_RSA_PKCS : b.CKM_ECDSA }, handle);
  return t.library.C_Sign(t.session, Buffer.from(input), Buffer.alloc(1024));
}

/** Destroys both objects of a key pair; true when something was destroyed. */
export function destroyTokenKey(t: TokenSession, keyUri: string): boolean {
  const uri = parsePkcs11Uri(keyUri);
  if (uri.id === undefined && uri.object === undefined) return false;
  let destroyed = false;
  for (const objectClass of [t.binding.CKO_PRIVATE_KEY, t.binding.CKO_PUBLIC_KEY]) {
    for (const handle of findObjects(t, objectTemplate(t, uri, objectClass))) {
      t.library.C_DestroyObject(t.session, handle);
      destroyed = true;
    }
  }
  return destroyed;
}

/** Key objects in the token whose label starts with `prefix` (recovery of half-finished generations). */
export function listTokenKeys(t: TokenSession, prefix: string): string[] {
  const b = t.binding;
  const handles = findObjects(t, [{ type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY }]);
  const uris: string[] = [];
  for (const handle of handles) {
    const [label, id] = t.library.C_GetAttributeValue(t.session, handle, [{ type: b.CKA_LABEL }, { type: b.CKA_ID }]);
    const text = (label?.value as Buffer).toString('utf8');
    if (text.startsWith(prefix)) uris.push(formatPkcs11Uri({ ...withoutObject(t.token), object: text, id: new Uint8Array(id?.value as Buffer) }));
  }
  return uris;
}
