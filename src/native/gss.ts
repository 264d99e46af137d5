// GSSAPI (MIT Kerberos) through the optional native module `kerberos`, loaded on first use only
// (a Kerberos endpoint is about to be used). The binding has no way to name a credential cache,
// so the cache is named to MIT Kerberos the one way it reads: KRB5CCNAME in the process
// environment, set only for the duration of the GSS calls that resolve credentials, serialised
// so that no two calls see each other's cache, and restored afterwards. Child processes that run
// meanwhile get their own, explicit environments (kinit, hooks), never this one.
import { loadOptionalModule, OPTIONAL_MODULES } from './optionalModule.js';

export interface GssClient {
  step(challenge: string): Promise<string | null>;
  readonly contextComplete: boolean;
  readonly username: string;
}

export interface GssServer {
  step(token: string): Promise<string | null>;
  readonly response: string | null;
  readonly username: string;
  readonly targetName: string;
  readonly contextComplete: boolean;
}

export interface KerberosBinding {
  GSS_C_DELEG_FLAG: number;
  GSS_C_MUTUAL_FLAG: number;
  GSS_C_SEQUENCE_FLAG: number;
  GSS_MECH_OID_SPNEGO: number;
  initializeClient(service: string, options: { principal?: string; flags?: number; mechOID?: number }): Promise<GssClient>;
  initializeServer(service: string): Promise<GssServer>;
}

let binding: KerberosBinding | undefined;

/** The binding; throws OptionalModuleUnavailable (naming what to install) when it is absent. */
export function kerberosBinding(): KerberosBinding {
  binding ??= loadOptionalModule<KerberosBinding>(OPTIONAL_MODULES.kerberos);
  return binding;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs fn with these MIT Kerberos environment variables set (undefined values leave a variable as
 * it is), one call at a time, and restores them afterwards.
 */
export function withKrb5Environment<T>(vars: { KRB5CCNAME?: string | undefined; KRB5_KTNAME?: string | undefined }, fn: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    const names = (Object.keys(vars) as Array<keyof typeof vars>).filter((name) => vars[name] !== undefined);
    const before = new Map(names.map((name) => [name, process.env[name]]));
    for (const name of names) process.env[name] = vars[name];
    try {
      return await fn();
    } finally {
      for (const [name, value] of before) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

export interface InitiatorOptions {
  /** host-based service name, e.g. HTTP@ces.example.com */
  service: string;
  principal?: string;
  ccache?: string;
  delegation: boolean;
}

/** A SPNEGO initiator with mutual authentication, and the first token for the server. */
export async function startInitiator(options: InitiatorOptions): Promise<{ client: GssClient; token: string }> {
  const gss = kerberosBinding();
  const flags = gss.GSS_C_MUTUAL_FLAG | gss.GSS_C_SEQUENCE_FLAG | (options.delegation ? gss.GSS_C_DELEG_FLAG : 0);
  return withKrb5Environment({ KRB5CCNAME: options.ccache }, async () => {
    const client = await gss.initializeClient(options.service, {
      ...(options.principal ? { principal: options.principal } : {}),
      flags,
      mechOID: gss.GSS_MECH_OID_SPNEGO,
    });
    const token = await client.step('');
    if (!token) throw new Error('GSSAPI produced no initial token');
    return { client, token };
  });
}

/** Accepts a client's Negotiate token with the keys in `keytab`: who it is and the answer token. */
export async function acceptToken(keytab: string, token: string): Promise<{ principal: string; targetName: string; response: string | null }> {
  const gss = kerberosBinding();
  return withKrb5Environment({ KRB5_KTNAME: keytab }, async () => {
    const server = await gss.initializeServer('');
    await server.step(token);
    if (!server.contextComplete) throw new Error('the Negotiate exchange needs more than one round');
    return { principal: server.username, targetName: server.targetName, response: server.response };
  });
}
