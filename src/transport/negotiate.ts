// HTTP Negotiate (SPNEGO, RFC 4559) around one POST: the request goes out without credentials; a
// 401 offering Negotiate (beside NTLM or not, in one header or several) is answered with a
// Kerberos token for HTTP/<host>, the request is sent again with it, and the server's final token
// is checked (mutual authentication) before its answer is believed. Negotiate authenticates the
// connection, not the request: each identity gets a connection of its own (connectionGroup), and
// when the server says Persistent-Auth: true the next requests on that same connection go
// without a new exchange.
import { CredentialError, TrustError } from '../errors.js';
import { startInitiator } from '../native/gss.js';
import type { HttpsClient, HttpsResponse, PostOptions } from './httpsClient.js';
import { classifyKerberosFailure, KerberosErrorCode, kerberosRejected } from './kerberosErrors.js';

export interface NegotiateIdentity {
  /** Credential cache (FILE:/path) holding our ticket; undefined: the default cache. */
  ccache?: string;
  /** Our principal, when known (a keytab or password login); else the cache's default principal. */
  principal?: string;
  /** Ask for a forwardable ticket to be delegated (off by default). */
  delegation: boolean;
  /** The service principal, HTTP/host[@REALM]; default HTTP/<host of the URL>. */
  servicePrincipal?: string;
  /** Names this identity's connection pool. */
  group: string;
  /** Per origin: the connection that the server keeps authenticated (Persistent-Auth). */
  authenticated: Map<string, number>;
  /** Called when the ticket turned out expired or gone, so that the next attempt logs in again. */
  invalidate?: () => void;
}

/** The offers in WWW-Authenticate (joined with ", " when repeated): Negotiate and its token, if any. */
export function negotiateOffer(header: string | undefined): { offered: boolean; token?: string } {
  if (header === undefined) return { offered: false };
  for (const part of header.split(/,\s*/)) {
    const match = /^Negotiate(?:\s+([A-Za-z0-9+/]+=*))?\s*$/i.exec(part.trim());
    if (match) return match[1] ? { offered: true, token: match[1] } : { offered: true };
  }
  return { offered: false };
}

/** HTTP/host (as registered) for a URL, or the configured name. */
export function servicePrincipalFor(url: string, configured?: string): string {
  return configured ?? `HTTP/${new URL(url).hostname.replace(/^\[|\]$/g, '')}`;
}

/** GSSAPI's host-based service form of HTTP/host[@REALM]: HTTP@host. */
function hostBasedName(spn: string): string {
  const withoutRealm = spn.replace(/@[^@/]*$/, '');
  const slash = withoutRealm.indexOf('/');
  return slash < 0 ? withoutRealm : `${withoutRealm.slice(0, slash)}@${withoutRealm.slice(slash + 1)}`;
}

export async function postWithNegotiate(http: HttpsClient, url: string, body: string, options: PostOptions, identity: NegotiateIdentity): Promise<HttpsResponse> {
  const origin = new URL(url).origin;
  const base: PostOptions = { ...options, connectionGroup: identity.group, acceptStatus: [401] };
  const first = await http.post(url, body, base);
  if (first.status !== 401) return first;
  identity.authenticated.delete(origin);
  if (!negotiateOffer(first.headers['www-authenticate']).offered) {
    throw new CredentialError(
      `${url}: the server does not offer Kerberos (it asks for ${first.headers['www-authenticate'] ?? 'no known method'}); enable Windows Authentication with the Negotiate provider on it, or use another authentication type`,
      KerberosErrorCode.NOT_OFFERED,
    );
  }
  const spn = servicePrincipalFor(url, identity.servicePrincipal);
  const context = { spn, url, ...(identity.principal ? { principal: identity.principal } : {}), ...(identity.ccache ? { ccache: identity.ccache } : {}) };
  let initiator: Awaited<ReturnType<typeof startInitiator>>;
  try {
    initiator = await startInitiator({
      service: hostBasedName(spn),
      delegation: identity.delegation,
      ...(identity.principal ? { principal: identity.principal } : {}),
      ...(identity.ccache ? { ccache: identity.ccache } : {}),
    });
  } catch (error) {
    if (error instanceof CredentialError || (error as { code?: string }).code === 'KERBEROS_MODULE_MISSING') throw error;
    const classified = Object.assign(classifyKerberosFailure((error as Error).message, context), { cause: error });
    if (classified.code === KerberosErrorCode.TICKET_EXPIRED || classified.code === KerberosErrorCode.NO_CREDENTIALS) identity.invalidate?.();
    throw classified;
  }
  const second = await http.post(url, body, { ...base, headers: { ...options.headers, authorization: `Negotiate ${initiator.token}` } });
  if (second.status === 401) throw kerberosRejected(url, spn, identity.principal ?? initiator.client.username);
  const offer = negotiateOffer(second.headers['www-authenticate']);
  try {
    if (offer.token) await initiator.client.step(offer.token);
  } catch (error) {
    throw new TrustError(`${url}: the server's Kerberos answer does not prove it holds the key of ${spn} (${(error as Error).message}); this is not the server it claims to be, or its keytab is wrong`, KerberosErrorCode.MUTUAL_AUTH_FAILED, url, { cause: error });
  }
  if (!initiator.client.contextComplete) {
    throw new TrustError(`${url}: the server did not authenticate itself (no final Negotiate token for ${spn}), so its answer is not trusted`, KerberosErrorCode.MUTUAL_AUTH_FAILED, url);
  }
  if (/^true$/i.test(second.headers['persistent-auth'] ?? '') && second.connection !== undefined) identity.authenticated.set(origin, second.connection);
  return second;
}
