// `doctor` for certificates whose key is in a PKCS#11 token: the pkcs11js module and the token's
// PKCS#11 module load, the token is present, the PIN logs in, the current key object exists (and
// is sensitive, not extractable), and the OpenSSL pkcs11 engine for the TLS client key is there.
import type { Config } from '../config/types.js';
import { AutoenrollError } from '../errors.js';
import { privateKeyProtection, tokenPublicKey } from '../pki/pkcs11Token.js';
import { isPkcs11Uri } from '../pki/pkcs11Uri.js';
import type { Store } from '../store/storeTypes.js';
import { findPkcs11Engine } from '../transport/tokenTlsContext.js';
import type { SecretResolver } from './agentTypes.js';
import type { GeneralFinding } from './doctorTypes.js';
import { openConfiguredToken } from './tokenAccess.js';

function failure(error: unknown, what: string): GeneralFinding {
  if (error instanceof AutoenrollError) {
    const [cause, fix] = error.message.split('; ');
    return { status: 'fail', code: error.code, message: `${what}: ${cause ?? error.message}`, ...(fix !== undefined ? { fix } : {}), exitCode: 4 };
  }
  return { status: 'fail', code: 'PKCS11_FAILED', message: `${what}: ${(error as Error).message}`, exitCode: 4 };
}

export async function tokenFindings(config: Config, store: Store, resolveSecret: SecretResolver): Promise<GeneralFinding[]> {
  const findings: GeneralFinding[] = [];
  for (const certificate of config.certificates) {
    if (certificate.pkcs11 === undefined) continue;
    const what = `certificate "${certificate.id}" (token ${certificate.pkcs11.uri}, module ${certificate.pkcs11.module})`;
    try {
      await openConfiguredToken(certificate, resolveSecret);
    } catch (error) {
      findings.push(failure(error, what));
      continue;
    }
    findings.push({ status: 'ok', code: 'PKCS11_TOKEN_OK', message: `${what}: module loaded, token present, PIN accepted` });
    const generation = await store.certificate(certificate.id).current().catch(() => null);
    if (generation && isPkcs11Uri(generation.keyPem)) {
      try {
        const { sensitive, extractable } = privateKeyProtection(await sessionOf(certificate, resolveSecret), generation.keyPem);
        tokenPublicKey(await sessionOf(certificate, resolveSecret), generation.keyPem);
        findings.push({
          status: sensitive && !extractable ? 'ok' : 'warn',
          code: sensitive && !extractable ? 'PKCS11_KEY_OK' : 'PKCS11_KEY_EXPORTABLE',
          message: `${what}: key object ${generation.keyPem} of generation ${generation.number} exists${sensitive && !extractable ? ' (sensitive, not extractable)' : ', but it is extractable or not sensitive'}`,
        });
      } catch (error) {
        findings.push(failure(error, what));
      }
    }
    if (findPkcs11Engine() === undefined) {
      findings.push({ status: 'warn', code: 'PKCS11_TLS_ENGINE_MISSING', message: `${what}: the OpenSSL pkcs11 engine is not installed, so key-based renewal cannot present the token key`, fix: 'apt-get install libengine-pkcs11-openssl, or set AUTOENROLL_PKCS11_ENGINE to the engine path' });
    }
  }
  return findings;
}

async function sessionOf(certificate: Config['certificates'][number], resolveSecret: SecretResolver) {
  const session = await openConfiguredToken(certificate, resolveSecret);
  if (session === undefined) throw new Error('no token configured');
  return session;
}
