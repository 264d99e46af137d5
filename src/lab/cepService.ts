// One CEP endpoint's answer to GetPolicies. The key-based-renewal CEP returns only templates that
// allow key-based renewal, with the same policy ID (protocol.md §5.1); both list every CES URI of
// every CA, as a Windows CEP does from msPKI-Enrollment-Servers.
import type { ParsedGetPoliciesRequest } from '../protocol/xcepRequest.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
import { renderGetPoliciesResponse } from './policyResponse.js';
import type { PolicyCa } from './policyResponse.js';
import { allowsKeyBasedRenewal } from './templates.js';

export function handleGetPolicies(core: LabCore, endpoint: LabEndpoint, request: ParsedGetPoliciesRequest, relatesTo: string): string {
  const keyBasedRenewalOnly = endpoint.auth === 'certificate';
  const templates = core.templates.filter((t) => !keyBasedRenewalOnly || allowsKeyBasedRenewal(t));
  const wanted = request.requestFilter?.policyOids;
  const filtered = wanted ? templates.filter((t) => wanted.includes(t.oid)) : templates;
  const cas: PolicyCa[] = [...core.pki.cas.values()].map((ca) => ({
    certDer: ca.certDer,
    templates: (core.caTemplates.get(ca.name) ?? []).map((t) => t.name),
    uris: core.endpoints
      .filter((e) => e.kind === 'ces' && e.caName === ca.name)
      .map((e) => ({ clientAuthentication: e.auth === 'username' ? 4 : e.auth === 'kerberos' ? 2 : 8, url: e.url, priority: e.priority, renewalOnly: e.renewalOnly })),
  }));
  const notChanged = request.lastUpdate !== null && request.lastUpdate.getTime() >= core.policyChangedAt.getTime();
  return renderGetPoliciesResponse({ policyId: core.policyId, templates: filtered, cas, relatesTo, notChanged });
}
