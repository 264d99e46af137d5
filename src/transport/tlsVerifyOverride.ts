// Certificate verification cannot be switched off. Node lets the environment variable below turn
// verification off for every connection that does not say otherwise; every connection of
// autoenroll says rejectUnauthorized: true, so the variable has no effect. Because an operator who
// set it expects it to act, autoenroll says once per process that it is ignored (and `doctor`
// reports it as TLS_VERIFY_OVERRIDE_IGNORED).
const VARIABLE = 'NODE_TLS_REJECT_UNAUTHORIZED';

export const TLS_VERIFY_OVERRIDE_CODE = 'TLS_VERIFY_OVERRIDE_IGNORED';

let warned = false;

/** True when the environment asks Node to stop verifying server certificates. */
export function tlsVerifyOverrideSet(env: NodeJS.ProcessEnv): boolean {
  const value = env[VARIABLE];
  return value !== undefined && value !== '1' && value.trim() !== '';
}

export function tlsVerifyOverrideMessage(): string {
  return `${VARIABLE} is set but ignored: autoenroll always verifies the server's certificate chain and host name`;
}

/** Writes the warning once per process when the variable is set. */
export function warnTlsVerifyOverrideOnce(env: NodeJS.ProcessEnv, write: (line: string) => void = (line) => process.stderr.write(line)): void {
  if (warned || !tlsVerifyOverrideSet(env)) return;
  warned = true;
  write(`warning: ${tlsVerifyOverrideMessage()} (${TLS_VERIFY_OVERRIDE_CODE})\n`);
}
