// The TLS client certificate whose private key is in a PKCS#11 token: an OpenSSL secure context
// whose key is loaded through the OpenSSL pkcs11 engine (libp11, Debian libengine-pkcs11-openssl)
// by its PKCS#11 URI. The engine can be initialised once per process only (a second
// createSecureContext with it fails in ENGINE_init), so the one context is made on first use and
// reused for every connection; a different token key later in the same process is refused with
// an error saying to run again (the one-shot commands and a restarted agent start afresh).
import { existsSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import { CredentialError } from '../errors.js';
import { openTokenFor } from '../pki/pkcs11Token.js';
import { parsePkcs11Uri } from '../pki/pkcs11Uri.js';

/** Where distributions put libp11's engine for OpenSSL 3. */
export const ENGINE_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so',
  '/usr/lib64/engines-3/pkcs11.so',
  '/usr/lib/engines-3/pkcs11.so',
];

/** The engine's path: AUTOENROLL_PKCS11_ENGINE, else the first candidate that exists. */
export function findPkcs11Engine(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.AUTOENROLL_PKCS11_ENGINE;
  if (configured !== undefined && configured !== '') return existsSync(configured) ? configured : undefined;
  return ENGINE_CANDIDATES.find((candidate) => existsSync(candidate));
}

let made: { identity: string; context: SecureContext } | undefined;

export interface TokenTlsSettings {
  certPem: string;
  keyUri: string;
  ca?: string | Buffer;
  maxTlsVersion?: SecureVersion;
}

/** The secure context presenting `certPem` with the token key `keyUri`. */
export function tokenSecureContext(settings: TokenTlsSettings): SecureContext {
  const identity = `${settings.keyUri}\0${settings.certPem}\0${String(settings.ca ?? '')}\0${settings.maxTlsVersion ?? ''}`;
  if (made !== undefined) {
    if (made.identity === identity) return made.context;
    throw new CredentialError(
      'this process already presents another token key as TLS client certificate, and the OpenSSL pkcs11 engine can be initialised only once per process; run the command again (the agent does this by itself after a restart)',
      'PKCS11_TLS_ENGINE_BUSY',
    );
  }
  const session = openTokenFor(parsePkcs11Uri(settings.keyUri));
  if (session === undefined) throw new CredentialError(`the token of ${settings.keyUri} is not open in this process`, 'PKCS11_TOKEN_NOT_OPEN');
  const engine = findPkcs11Engine();
  if (engine === undefined) {
    throw new CredentialError(
      `a TLS client certificate with a token key needs the OpenSSL pkcs11 engine, which was not found (looked for ${process.env.AUTOENROLL_PKCS11_ENGINE || ENGINE_CANDIDATES.join(', ')}); install it (Debian/Ubuntu: apt-get install libengine-pkcs11-openssl) or set AUTOENROLL_PKCS11_ENGINE to its path`,
      'PKCS11_TLS_ENGINE_MISSING',
    );
  }
  // libp11 reads the module from PKCS11_MODULE_PATH and the PIN from the URI (kept in memory only).
  process.env.PKCS11_MODULE_PATH = session.settings.module;
  let context: SecureContext;
  try {
    context = createSecureContext({
      cert: settings.certPem,
      privateKeyEngine: engine,
      privateKeyIdentifier: `${settings.keyUri};pin-value=${encodeURIComponent(session.settings.pin)}`,
      ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
      minVersion: 'TLSv1.2',
      ...(settings.maxTlsVersion !== undefined ? { maxVersion: settings.maxTlsVersion } : {}),
    });
  } catch (error) {
    throw new CredentialError(
      `the OpenSSL pkcs11 engine ${engine} could not load the token key ${settings.keyUri} for TLS (${(error as Error).message.split('\n')[0] ?? ''}); check that the engine matches this OpenSSL and that the key object exists (autoenroll doctor)`,
      'PKCS11_TLS_KEY_UNLOADABLE',
    );
  }
  made = { identity, context };
  return context;
}
