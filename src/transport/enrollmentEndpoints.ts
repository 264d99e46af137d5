// Which enrollment (CES) URIs a request may use, from what the policy publishes and what this
// machine can authenticate with (protocol.md §1.4, §7.2). Pure: ordering among the survivors is
// left to orderEndpoints, guided by the `tier` set here.

/** MS-XCEP clientAuthentication values. */
export const ClientAuthentication = {
  ANONYMOUS: 1,
  KERBEROS: 2,
  USERNAME_PASSWORD: 4,
  CERTIFICATE: 8,
} as const;

export interface EnrollmentUriCandidate {
  uri: string;
  clientAuthentication: number;
  priority: number | null;
  renewalOnly: boolean;
  caId: string;
}

export interface EnrollmentSelection {
  operation: 'enroll' | 'renew' | 'retrieve';
  /** A valid (not expired) certificate is held and can be presented as the TLS client certificate. */
  haveCertificate: boolean;
  /** Username/password credentials are configured. */
  havePassword: boolean;
  /** A Kerberos ticket can be had (auth: kerberos configured and the kerberos module present). */
  haveKerberos?: boolean;
  /** Only URIs of this CA (a renewal goes to a CES of the CA that issued the certificate). */
  caId?: string;
  /** A pending request is polled exactly where it was submitted. */
  submittedUri?: string;
}

export type SelectedEnrollmentEndpoint<T extends EnrollmentUriCandidate> = T & {
  url: string;
  /** 0 = certificate (key-based renewal), 1 = anonymous signed renewal, 2 = username/password or Kerberos. */
  tier: number;
};

/** Compare URIs the way servers route them: scheme and host case-insensitive, default port dropped. */
export function sameUri(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function tierFor(candidate: EnrollmentUriCandidate, selection: EnrollmentSelection): number | undefined {
  const renewing = selection.operation === 'renew';
  if (candidate.renewalOnly && selection.operation === 'enroll') return undefined;
  switch (candidate.clientAuthentication) {
    case ClientAuthentication.CERTIFICATE:
      return selection.haveCertificate ? 0 : undefined;
    case ClientAuthentication.ANONYMOUS:
      // MS-WSTEP §3.1.1.1.4: anonymous is only for renewals, which the old key's signature authenticates.
      return renewing && selection.haveCertificate ? 1 : undefined;
    case ClientAuthentication.USERNAME_PASSWORD:
      return selection.havePassword ? 2 : undefined;
    case ClientAuthentication.KERBEROS:
      return selection.haveKerberos === true ? 2 : undefined;
    default:
      return undefined; // unknown values: not something this agent can perform
  }
}

/**
 * The URIs a request may be sent to, each with `url` (= uri) and `tier` for orderEndpoints:
 * - enroll: URIs that are not renewal-only, with an auth type we can perform;
 * - renew: certificate endpoints first (key-based renewal), then anonymous, then username/password;
 * - retrieve: only `submittedUri` (empty if the policy no longer lists it: the caller then uses the
 *   stored URI as it is, and must not fall back to another CES, which would not know the request).
 * `caId` restricts every operation to that CA.
 */
export function selectEnrollmentEndpoints<T extends EnrollmentUriCandidate>(
  uris: readonly T[],
  selection: EnrollmentSelection,
): SelectedEnrollmentEndpoint<T>[] {
  const selected: SelectedEnrollmentEndpoint<T>[] = [];
  for (const candidate of uris) {
    if (selection.caId !== undefined && candidate.caId !== selection.caId) continue;
    if (selection.submittedUri !== undefined && !sameUri(candidate.uri, selection.submittedUri)) continue;
    if (selection.operation === 'retrieve' && selection.submittedUri === undefined) continue;
    const tier = tierFor(candidate, selection);
    if (tier === undefined) continue;
    selected.push({ ...candidate, url: candidate.uri, tier });
  }
  return selected;
}
