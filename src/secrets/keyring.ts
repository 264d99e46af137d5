// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
// through @napi-rs/keyring, an optional native module (src/native/optionalModule.ts) loaded only
// when a keyring reference is used.
// Entries live under service "autoenroll", account = the reference's name.
import { CredentialError } from '../errors.js';
import { loadOptionalModule, OPTIONAL_MODULES } from '../native/optionalModule.js';

export const KEYRING_SERVICE = 'autoenroll';

interface KeyringEntry {
  getPassword(): Promise<string | null>;
  setPassword(password: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}
type EntryConstructor = new (service: string, account: string) => KeyringEntry;

interface KeyringModule {
  AsyncEntry: EntryConstructor;
  findCredentialsAsync(service: string): Promise<{ account: string; password: string }[]>;
}

let loadedModule: KeyringModule | undefined;

async function loadEntry(): Promise<EntryConstructor> {
  return (await loadKeyringModule()).AsyncEntry;
}

async function loadKeyringModule(): Promise<KeyringModule> {
  try {
    loadedModule ??= loadOptionalModule<KeyringModule>(OPTIONAL_MODULES.keyring);
  } catch (error) {
    throw new CredentialError(
      `the OS keyring cannot be used: ${(error as Error).message}; or reference the password with { env }, { file } or { systemdCredential }`,
      'SECRET_KEYRING_UNAVAILABLE',
      { cause: error },
    );
  }
  return loadedModule;
}

function unavailable(name: string, error: unknown, env: NodeJS.ProcessEnv): CredentialError {
  const hint =
    process.platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS
      ? ' There is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service can be reached; on a server, prefer { systemdCredential } or a 0600 { file }.'
      : ' Is a Secret Service (gnome-keyring, KWallet) running and unlocked for this user?';
  return new CredentialError(`the OS keyring could not be used for "${name}": ${(error as Error).message}.${hint}`, 'SECRET_KEYRING_UNAVAILABLE', { cause: error });
}

export async function readKeyring(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const Entry = await loadEntry();
  let value: string | null;
  try {
    value = await new Entry(KEYRING_SERVICE, name).getPassword();
  } catch (error) {
    throw unavailable(name, error, env);
  }
  if (value === null || value === '') {
    const hint = process.platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS ? ' (and no D-Bus session bus is available to reach a Secret Service)' : '';
    throw new CredentialError(
      `no password is stored in the OS keyring under service "${KEYRING_SERVICE}", account "${name}"${hint}; store one with: autoenroll credentials set ${name}`,
      'SECRET_KEYRING_MISSING',
    );
  }
  return value;
}

export async function writeKeyring(name: string, password: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const Entry = await loadEntry();
  try {
    await new Entry(KEYRING_SERVICE, name).setPassword(password);
  } catch (error) {
    throw unavailable(name, error, env);
  }
}

export async function deleteKeyring(name: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const Entry = await loadEntry();
  try {
    return await new Entry(KEYRING_SERVICE, name).deletePassword();
  } catch (error) {
    throw unavailable(name, error, env);
  }
}

/** The accounts stored under service "autoenroll", sorted; the passwords are dropped at once. */
export async function listKeyring(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const module = await loadKeyringModule();
  try {
    const found = await module.findCredentialsAsync(KEYRING_SERVICE);
    return found.map((c) => c.account).sort();
  } catch (error) {
    throw unavailable('the autoenroll entries', error, env);
  }
}
