// The Kerberos credential of a policy server with auth: kerberos (also used for the CES endpoints
// whose clientAuthentication is Kerberos): a ticket obtained once and kept for an hour (tickets
// of Active Directory live 10 hours), and the Negotiate identity that carries the connection it
// authenticated. The optional module is loaded here, and only for configurations that use
// Kerberos; without it those servers and endpoints are skipped with the install hint.
import type { Config, KerberosCredentialConfig, PolicyServerConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { kerberosBinding } from '../native/gss.js';
import { OptionalModuleUnavailable } from '../native/optionalModule.js';
import type { KerberosLogin, KerberosTicket } from '../secrets/kerberosTicket.js';
import type { NegotiateIdentity } from '../transport/negotiate.js';
import { KerberosErrorCode } from '../transport/kerberosErrors.js';
import type { SecretResolver } from './agentTypes.js';
import type { EndpointCredential } from './endpointCredential.js';

const TICKET_REUSE_MS = 3600_000;

let moduleProblem: string | null | undefined;

/** Why Kerberos cannot be used here (the optional module is absent or broken), or undefined. */
export function kerberosModuleProblem(): string | undefined {
  if (moduleProblem === undefined) {
    try {
      kerberosBinding();
      moduleProblem = null;
    } catch (error) {
      if (!(error instanceof OptionalModuleUnavailable)) throw error;
      // The module is compiled when it is installed: say what that needs.
      moduleProblem = `${error.message} (it is compiled on installation and needs the MIT Kerberos headers and build tools: apt-get install libkrb5-dev python3 make g++ on Debian/Ubuntu, dnf install krb5-devel python3 make gcc-c++ on RHEL/Fedora)`;
    }
  }
  return moduleProblem ?? undefined;
}

export function kerberosServers(config: Config): PolicyServerConfig[] {
  return config.policyServers.filter((s) => s.auth === 'kerberos' && s.kerberos !== undefined);
}

/** True when Kerberos endpoints can be used: a kerberos policy server is configured and the module loads. */
export function haveKerberosCredentials(config: Config): boolean {
  return kerberosServers(config).length > 0 && kerberosModuleProblem() === undefined;
}

export function kerberosModuleMissing(): ConfigError {
  return new ConfigError(`Kerberos endpoints skipped: ${kerberosModuleProblem() ?? 'the kerberos module is not available'}`, {}, KerberosErrorCode.MODULE_MISSING);
}

interface Entry {
  ticket: Promise<KerberosTicket>;
  obtainedMs: number;
  identity?: NegotiateIdentity;
}

const entries = new Map<string, Entry>();

async function loginOf(credential: KerberosCredentialConfig, server: PolicyServerConfig, resolveSecret: SecretResolver): Promise<KerberosLogin> {
  // Delegation hands the server a forwarded ticket, so the login asks for a forwardable one.
  const forwardable = server.kerberos?.delegation === true;
  switch (credential.kind) {
    case 'ccache':
      return { kind: 'ccache', ccache: credential.ccache };
    case 'keytab':
      return { kind: 'keytab', keytab: credential.keytab, forwardable, ...(credential.principal !== undefined ? { principal: credential.principal } : {}) };
    case 'password':
      return { kind: 'password', principal: credential.principal, password: await resolveSecret(credential.password, `Kerberos password for ${credential.principal} (policy server ${server.url})`), forwardable };
  }
}

/** The Negotiate credential for this server's Kerberos settings (a ticket obtained when needed). */
export async function kerberosCredential(server: PolicyServerConfig, resolveSecret: SecretResolver, nowMs: number = Date.now()): Promise<EndpointCredential> {
  const settings = server.kerberos;
  if (settings === undefined) throw new ConfigError(`policy server ${server.url} has no Kerberos settings`, {}, 'CONFIG_NO_CREDENTIALS');
  if (kerberosModuleProblem() !== undefined) throw kerberosModuleMissing();
  const key = `${server.index}|${server.url}|${JSON.stringify(settings)}`;
  let entry = entries.get(key);
  if (entry !== undefined && nowMs - entry.obtainedMs > TICKET_REUSE_MS) {
    entries.delete(key);
    void entry.ticket.then((ticket) => ticket.dispose(), () => undefined);
    entry = undefined;
  }
  if (entry === undefined) {
    // kinit/klist (node:child_process) are loaded only here, not on every CLI start.
    const ticket = loginOf(settings.credential, server, resolveSecret).then(async (login) => (await import('../secrets/kerberosTicket.js')).obtainTicket(login));
    entry = { ticket, obtainedMs: nowMs };
    entries.set(key, entry);
    // A failed login is tried again next time, not remembered.
    ticket.catch(() => entries.get(key) === entry && entries.delete(key));
  }
  const ticket = await entry.ticket;
  const current = entry;
  entry.identity ??= {
    ccache: ticket.ccache,
    ...(ticket.principal !== undefined ? { principal: ticket.principal } : {}),
    delegation: settings.delegation,
    ...(settings.servicePrincipal !== undefined ? { servicePrincipal: settings.servicePrincipal } : {}),
    group: `kerberos:${key}`,
    authenticated: new Map(),
    invalidate: () => {
      if (entries.get(key) !== current) return;
      entries.delete(key);
      ticket.dispose();
    },
  };
  return { kind: 'kerberos', identity: entry.identity };
}

/** Forgets every ticket (and removes the private caches). */
export async function forgetKerberosTickets(): Promise<void> {
  const all = [...entries.values()];
  entries.clear();
  await Promise.all(all.map((entry) => entry.ticket.then((ticket) => ticket.dispose(), () => undefined)));
}
