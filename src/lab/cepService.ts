// One CEP endpoint's answer to GetPolicies. The key-based-renewal CEP returns only templates that
// allow key-based renewal, with the same policy ID (protocol.md §5.1); both list every CES URI of
// every CA, as a Windows CEP does from msPKI-Enrollment-Servers.
import type { ParsedGetPoliciesRequest } from '../protocol/xcepRequest.js';
import type { LabFault } from './faultInjection.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
import { renderGetPoliciesResponse } from './policyResponse.js';
import type { PolicyCa, PolicyCaUri } from './policyResponse.js';
import { allowsKeyBasedRenewal } from './templates.js';

/** What brokenCaCertificate puts in place of each CA certificate: DER that is no X.509 certificate. */
const BROKEN_CA_DER = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);

export function handleGetPolicies(core: LabCore, endpoint: LabEndpoint, request: ParsedGetPoliciesRequest, relatesTo: string, fault?: LabFault): string {
  const kerberosOnly = fault?.kind === 'kerberosOnly';
  const keyBasedRenewalOnly = endpoint.auth === 'certificate';
  const templates = core.templates.filter((t) => !keyBasedRenewalOnly || allowsKeyBasedRenewal(t));
  const wanted = request.requestFilter?.policyOids;
  const filtered = wanted ? templates.filter((t) => wanted.includes(t.oid)) : templates;
  const cas: PolicyCa[] = [...core.pki.cas.values()].map((ca) => ({
    certDer: fault?.kind === 'brokenCaCertificate' ? BROKEN_CA_DER : ca.certDer,
    templates: (core.caTemplates.get(ca.name) ?? []).map((t) => t.name),
    uris: core.endpoints
      .filter((e) => e.kind === 'ces' && e.caName === ca.name)
      .map((e) => ({ clientAuthentication: e.auth === 'username' ? 4 : e.auth === 'kerberos' ? 2 : 8, url: e.url, priority: e.priority, renewalOnly: e.renewalOnly }) as PolicyCaUri),
  }));
  if (kerberosOnly) {
    // What a CA published with only a Kerberos CES looks like: one URI, clientAuthentication 2.
    for (const ca of cas) {
      const first = ca.uris[0];
      ca.uris = first ? [{ clientAuthentication: 2, url: first.url.replace(/_CES_[A-Za-z]+\//, '_CES_Kerberos/'), priority: 1, renewalOnly: false }] : [];
    }
  }
  const notChanged = request.lastUpdate !== null && request.lastUpdate.getTime() >= core.policyChangedAt.getTime();
  return renderGetPoliciesResponse({ policyId: core.policyId, templates: filtered, cas, relatesTo, notChanged });
}
