// The WCF layer of a lab endpoint, in the order WCF applies it: read the envelope (unreadable → 400),
// WS-Security UsernameToken (→ security fault), AddressFilter on a:To (→ DestinationUnreachable),
// ContractFilter on a:Action (→ ActionNotSupported), then the CEP or CES operation.
import { timingSafeEqual } from 'node:crypto';
import { ACTION, PASSWORD_TYPE } from '../protocol/namespaces.js';
import { parseSoapRequest } from '../protocol/soap.js';
import type { ParsedSoapRequest } from '../protocol/soap.js';
import { parseRequestSecurityToken } from '../protocol/wstepRequest.js';
import { parseGetPoliciesRequest } from '../protocol/xcepRequest.js';
import { handleCes } from './cesService.js';
import type { SoapReply } from './cesService.js';
import { handleGetPolicies } from './cepService.js';
import type { ClientCertificate } from './clientCertificate.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
import type { LabLogEntry } from './requestLog.js';
import { renderActionNotSupportedFault, renderAddressFilterFault, renderAuthenticationFault, renderInternalServiceFault } from './soapFaults.js';

export interface SoapCall {
  core: LabCore;
  endpoint: LabEndpoint;
  body: Buffer;
  clientCert?: ClientCertificate;
  /** The Kerberos principal that authenticated the connection (Kerberos endpoints). */
  kerberosPrincipal?: string;
  now: Date;
}

export interface SoapResult {
  status: number;
  /** Empty for a bare HTTP error. */
  body: string;
  log: Pick<LabLogEntry, 'auth' | 'operation' | 'outcome'> & Partial<Pick<LabLogEntry, 'requestId' | 'hresult' | 'template'>>;
}

export async function handleSoap(call: SoapCall): Promise<SoapResult> {
  const { endpoint } = call;
  const certAuth = call.clientCert ? 'certificate' : 'none';
  let request: ParsedSoapRequest;
  try {
    request = parseSoapRequest(call.body, { maxBytes: 1024 * 1024 });
  } catch {
    // WCF answers a message it cannot read with HTTP 400 and no body.
    return { status: 400, body: '', log: { auth: certAuth, operation: 'Unknown', outcome: 'fault:bad-envelope' } };
  }
  const operation = request.action === ACTION.getPolicies ? 'GetPolicies' : request.action === ACTION.wstepRequest ? operationOf(request) : 'Unknown';
  let auth = call.kerberosPrincipal !== undefined ? `kerberos:${call.kerberosPrincipal}` : certAuth;
  if (endpoint.auth === 'username') {
    const token = request.usernameToken;
    const user = token && token.passwordType === PASSWORD_TYPE.text ? findUser(call.core, token.username, token.password) : undefined;
    if (!user) {
      return {
        status: 500,
        body: renderAuthenticationFault(request.messageId),
        log: { auth: token ? `username:${token.username}` : 'none', operation, outcome: 'fault:authentication' },
      };
    }
    auth = `username:${user}`;
  }
  if (!sameAddress(request.to, endpoint.url)) {
    return { status: 500, body: renderAddressFilterFault(request.to, request.messageId), log: { auth, operation, outcome: 'fault:address-filter' } };
  }
  const expected = endpoint.kind === 'cep' ? ACTION.getPolicies : ACTION.wstepRequest;
  if (request.action !== expected) {
    return { status: 500, body: renderActionNotSupportedFault(request.action, request.messageId), log: { auth, operation: 'Unknown', outcome: 'fault:action-not-supported' } };
  }

  try {
    if (endpoint.kind === 'cep') {
      const policies = parseGetPoliciesRequest(request.body);
      return { status: 200, body: handleGetPolicies(call.core, endpoint, policies, request.messageId), log: { auth, operation, outcome: 'policy' } };
    }
    const rst = parseRequestSecurityToken(request.body);
    if (endpoint.caName === undefined) throw new Error(`CES endpoint ${endpoint.name} has no CA`);
    const reply: SoapReply = await handleCes({
      core: call.core,
      endpoint: { ...endpoint, caName: endpoint.caName },
      rst,
      relatesTo: request.messageId,
      requester: auth === 'certificate' ? `certificate:${call.clientCert?.thumbprint ?? ''}` : auth,
      ...(call.clientCert ? { clientCert: call.clientCert } : {}),
      now: call.now,
    });
    return {
      status: reply.status,
      body: reply.body,
      log: {
        auth,
        operation,
        outcome: reply.outcome,
        ...(reply.requestId !== undefined ? { requestId: reply.requestId } : {}),
        ...(reply.hresult !== undefined ? { hresult: `0x${(reply.hresult >>> 0).toString(16).toUpperCase()}` } : {}),
        ...(reply.template !== undefined ? { template: reply.template } : {}),
      },
    };
  } catch {
    // A body the operation cannot read (no client element, bad base64…): WCF's internal fault.
    return { status: 500, body: renderInternalServiceFault(request.messageId), log: { auth, operation, outcome: 'fault:internal' } };
  }
}

function operationOf(request: ParsedSoapRequest): 'Issue' | 'QueryTokenStatus' | 'Unknown' {
  try {
    const type = parseRequestSecurityToken(request.body).requestType;
    return type === 'issue' ? 'Issue' : type === 'queryTokenStatus' ? 'QueryTokenStatus' : 'Unknown';
  } catch {
    return 'Unknown';
  }
}

function findUser(core: LabCore, username: string, password: string): string | undefined {
  const user = core.users.find((u) => u.username.toLowerCase() === username.toLowerCase());
  if (!user) return undefined;
  const a = Buffer.from(user.password, 'utf8');
  const b = Buffer.from(password, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b) ? user.username : undefined;
}

/** WCF's default AddressFilter (HostNameComparisonMode.StrongWildcard) ignores the host name. */
function sameAddress(to: string, url: string): boolean {
  try {
    const a = new URL(to);
    const b = new URL(url);
    return a.protocol === b.protocol && a.pathname.toLowerCase() === b.pathname.toLowerCase();
  } catch {
    return false;
  }
}
