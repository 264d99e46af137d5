// How the agent authenticates to one CEP/CES endpoint (protocol.md §1.4, §1.4a): a WS-Security
// UsernameToken in the SOAP header, or a TLS client certificate (a managed certificate with its
// key and chain) and no wsse header at all.
import type { UsernameTokenInput } from '../protocol/soap.js';
import type { ClientCertificate, PostOptions } from '../transport/httpsClient.js';

export type EndpointCredential =
  | { kind: 'username'; username: string; password: string }
  | { kind: 'certificate'; clientCertificate: ClientCertificate; maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3' }
  /** Anonymous CES (MS-WSTEP §3.1.1.1.4): only for renewals, which the old key's signature authenticates. */
  | { kind: 'none' };

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
