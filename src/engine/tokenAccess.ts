// The token of a certificate whose key lives in PKCS#11 (certificates[].key.pkcs11): opened and
// logged in once per process with the PIN from its secret source, and new key objects named after
// the certificate and the moment they are made, so `status`, the archive and a person listing the
// token (pkcs11-tool --list-objects) can tell them apart.
import { randomBytes } from 'node:crypto';
import type { CertificateConfig, Pkcs11KeyConfig } from '../config/types.js';
import { InternalError } from '../errors.js';
import type { KeySpec } from '../pki/keys.js';
import { generateTokenKey, openToken, type TokenKeyObject, type TokenSession } from '../pki/pkcs11Token.js';
import { parsePkcs11Uri } from '../pki/pkcs11Uri.js';
import { crashPoint } from '../store/crashPoint.js';
import type { SecretResolver } from './agentTypes.js';

const opened = new Map<string, TokenSession>();

/** Opens the certificate's token (idempotent); typed errors for a missing module or token, a wrong PIN. */
export async function openConfiguredToken(config: CertificateConfig, resolveSecret: SecretResolver): Promise<TokenSession | undefined> {
  if (config.pkcs11 === undefined) return undefined;
  const pin = await resolveSecret(config.pkcs11.pin, `PIN of the PKCS#11 token of certificate "${config.id}"`);
  const session = openToken({ module: config.pkcs11.module, uri: config.pkcs11.uri, pin });
  opened.set(config.id, session);
  return session;
}

/** The label prefix of a certificate's key objects: object= of its URI, else autoenroll-<id>. */
export function keyLabelPrefix(config: CertificateConfig & { pkcs11: Pkcs11KeyConfig }): string {
  return parsePkcs11Uri(config.pkcs11.uri).object ?? `autoenroll-${config.id}`;
}

/** `<prefix>-20260102T030405Z-1a2b`: sorts by creation, unique within a second. */
function keyLabel(prefix: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${prefix}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function generateConfiguredTokenKey(config: CertificateConfig, spec: KeySpec): Promise<TokenKeyObject> {
  const session = opened.get(config.id);
  if (config.pkcs11 === undefined || session === undefined) throw new InternalError(`the token of certificate "${config.id}" was not opened`, 'PKCS11_TOKEN_NOT_OPEN');
  const created = await generateTokenKey(session, spec, keyLabel(keyLabelPrefix(config as CertificateConfig & { pkcs11: Pkcs11KeyConfig })));
  // The object exists in the token and nothing names it yet: a kill here leaves an unused object.
  crashPoint('pkcs11:key-generated');
  return created;
}
