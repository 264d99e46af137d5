// Public surface of the secrets module (the keyring module itself is loaded lazily).
export { createSecretSource, describeSecretRef, mapSecretSource, readSecretFile, resolveSecret } from './resolveSecret.js';
export type { SecretOptions, SecretSource } from './resolveSecret.js';
export { checkSecret } from './checkSecret.js';
export type { SecretCheck } from './checkSecret.js';
export { deleteKeyring, KEYRING_SERVICE, readKeyring, writeKeyring } from './keyring.js';
