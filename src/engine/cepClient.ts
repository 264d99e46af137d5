// GetPolicies against one CEP endpoint (protocol.md §2.1, §2.2). A SOAP fault becomes the typed
// error of the protocol's mapping (bad credentials → CredentialError, server trouble →
// ProtocolError so failover moves on); a malformed answer is a ProtocolError too.
import { buildGetPoliciesRequest, WINDOWS_REQUEST_FILTER } from '../protocol/xcepRequest.js';
import { parseGetPoliciesResponse } from '../protocol/xcepResponse.js';
import type { PolicyResponse } from '../protocol/policyModel.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import { postWith, usernameTokenOf } from './endpointCredential.js';
import type { EndpointCredential } from './endpointCredential.js';

export interface FetchPolicyOptions {
  /** When this server last answered (GMT); the server may then say policiesNotChanged. */
  lastUpdate?: Date | null;
  now: Date;
  signal?: AbortSignal;
}

export async function fetchPolicy(
  http: HttpsClient,
  url: string,
  credential: EndpointCredential,
  options: FetchPolicyOptions,
): Promise<PolicyResponse> {
  const body = buildGetPoliciesRequest({
    to: url,
    lastUpdate: options.lastUpdate ?? null,
    requestFilter: WINDOWS_REQUEST_FILTER,
    usernameToken: usernameTokenOf(credential),
    now: options.now,
  });
  const response = await postWith(http, credential, url, body, options.signal);
  return parseGetPoliciesResponse(response.body, { endpoint: url });
}
