// How the agent authenticates to one CEP/CES endpoint (protocol.md §1.4, §1.4a): a WS-Security
// UsernameToken in the SOAP header, or a TLS client certificate (a managed certificate with its
// key and chain) and no wsse header at all, or Kerberos (HTTP Negotiate, no wsse header either).
import type { UsernameTokenInput } from '../protocol/soap.js';
import type { ClientCertificate, HttpsClient, HttpsResponse, PostOptions } from '../transport/httpsClient.js';
import type { NegotiateIdentity } from '../transport/negotiate.js';

export type EndpointCredential =
  | { kind: 'username'; username: string; password: string }
  | { kind: 'certificate'; clientCertificate: ClientCertificate; maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3' }
  /** Anonymous CES (MS-WSTEP §3.1.1.1.4): only for renewals, which the old key's signature authenticates. */
  | { kind: 'none' }
  /** Windows integrated authentication: a Kerberos ticket through HTTP Negotiate. */
  | { kind: 'kerberos'; identity: NegotiateIdentity };

export function usernameTokenOf(credential: EndpointCredential): UsernameTokenInput | undefined {
  return credential.kind === 'username' ? { username: credential.username, password: credential.password } : undefined;
}

export function postOptionsOf(credential: EndpointCredential, signal?: AbortSignal): PostOptions {
  const options: PostOptions = {};
  if (signal) options.signal = signal;
  if (credential.kind === 'certificate') {
    options.clientCertificate = credential.clientCertificate;
    if (credential.maxTlsVersion) options.maxTlsVersion = credential.maxTlsVersion;
  }
  return options;
}

/** POSTs with this credential: Negotiate for Kerberos (loaded only then), a plain POST otherwise. */
export async function postWith(http: HttpsClient, credential: EndpointCredential, url: string, body: string, signal?: AbortSignal): Promise<HttpsResponse> {
  if (credential.kind !== 'kerberos') return http.post(url, body, postOptionsOf(credential, signal));
  const { postWithNegotiate } = await import('../transport/negotiate.js');
  return postWithNegotiate(http, url, body, postOptionsOf(credential, signal), credential.identity);
}
