// Checks that a secret reference can be resolved, for `config validate` and `doctor`, without
// handing the value to anyone: the result says where the secret comes from and whether it is there.
import type { SecretRef } from '../config/types.js';
import { errorToJson } from '../errors.js';
import { describeSecretRef, resolveSecret } from './resolveSecret.js';
import type { SecretOptions } from './resolveSecret.js';

export interface SecretCheck {
  /** `env:NAME`, `file:/path`, `keyring:NAME` or `systemdCredential:NAME`. */
  source: string;
  ok: boolean;
  /** Why it cannot be resolved (no secret in it). */
  error?: { code: string; message: string };
}

export async function checkSecret(ref: SecretRef, options: SecretOptions): Promise<SecretCheck> {
  const source = describeSecretRef(ref);
  try {
    await resolveSecret(ref, options);
    return { source, ok: true };
  } catch (error) {
    const { code, message } = errorToJson(error);
    return { source, ok: false, error: { code, message } };
  }
}
