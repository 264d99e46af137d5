// One CES endpoint's answer to a RequestSecurityToken: Issue (new or renewal) and QueryTokenStatus,
// against the lab CA's request database. Faults carry the Windows HRESULTs (see hresults.ts).
import type { ParsedRequestSecurityToken } from '../protocol/wstepRequest.js';
import { decide } from './caDecision.js';
import { caMaterial, issueForRequest } from './certificateIssuer.js';
import { clientCertificateProblem, readRevokedSerials } from './clientCertificate.js';
import type { ClientCertificate } from './clientCertificate.js';
import { buildCmcResponse } from './cmcResponse.js';
import type { LabFault } from './faultInjection.js';
import { HRESULT } from './hresults.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
import { readRequest, writeRequest } from './requestStore.js';
import type { StoredRequest } from './requestStore.js';
import { renderEnrollmentFault } from './soapFaults.js';
import { renderIssuedResponse, renderPendingResponse } from './wstepResponse.js';

export interface CesCall {
  core: LabCore;
  endpoint: LabEndpoint & { caName: string };
  rst: ParsedRequestSecurityToken;
  relatesTo: string;
  requester: string;
  clientCert?: ClientCertificate;
  now: Date;
  /** An issuance fault of the endpoint (faultInjection.ts). */
  fault?: LabFault;
}

export interface SoapReply {
  status: number;
  body: string;
  outcome: string;
  requestId?: string;
  hresult?: number;
  template?: string;
}

const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');

export async function handleCes(call: CesCall): Promise<SoapReply> {
  const { rst, endpoint, core, now } = call;
  const revoked = readRevokedSerials(core.dir);
  if (endpoint.auth === 'certificate' && call.clientCert) {
    const problem = clientCertificateProblem(call.clientCert, endpoint.caName, revoked, now);
    if (problem) return fault(call, problem.hresult, problem.reason);
  }
  if (rst.requestType === 'queryTokenStatus') return queryTokenStatus(call);
  if (rst.requestType !== 'issue') {
    return fault(call, HRESULT.E_INVALIDARG, `The request type ${rst.requestType} is not supported by this enrollment service.`);
  }
  if (!rst.binarySecurityToken) return fault(call, HRESULT.E_INVALIDARG, 'The request has no BinarySecurityToken.');

  const contextTemplate = rst.additionalContext.find((item) => item.name.toLowerCase() === 'certificatetemplate')?.value;
  const decision = decide({
    requestDer: rst.binarySecurityToken.der,
    ...(contextTemplate !== undefined ? { contextTemplateName: contextTemplate } : {}),
    caName: endpoint.caName,
    templates: core.caTemplates.get(endpoint.caName) ?? [],
    cas: core.pki.cas,
    renewalOnly: endpoint.renewalOnly,
    ...(call.clientCert ? { clientCert: call.clientCert } : {}),
    revoked,
    now,
  });

  if (decision.kind === 'reject') {
    if (!decision.reachedCa) return fault(call, decision.hresult, decision.reason);
    const record = baseRecord(call, core.ids.allocate(), decision.template ?? '', false);
    await writeRequest(core.dir, { ...record, status: 'failed', hresult: decision.hresult, decidedAt: now.toISOString() });
    return fault(call, decision.hresult, decision.reason, record.requestId, decision.template);
  }

  const record: StoredRequest = {
    ...baseRecord(call, core.ids.allocate(), decision.template.name, decision.renewal),
    issuance: {
      subjectDer: b64(decision.issuance.subjectDer),
      spkiDer: b64(decision.issuance.spkiDer),
      ...(decision.issuance.subjectAltNameDer ? { subjectAltNameDer: b64(decision.issuance.subjectAltNameDer) } : {}),
    },
  };
  if (decision.pend) {
    await writeRequest(core.dir, record);
    return pending(call, record);
  }
  return issue(call, record);
}

async function queryTokenStatus(call: CesCall): Promise<SoapReply> {
  const requestId = call.rst.requestId;
  if (requestId === null) return fault(call, HRESULT.E_INVALIDARG, 'QueryTokenStatus needs a RequestID.');
  const record = /^[0-9]{1,18}$/.test(requestId) ? await readRequest(call.core.dir, requestId) : undefined;
  if (!record || record.caName !== call.endpoint.caName) {
    return fault(call, HRESULT.CERTSRV_E_PROPERTY_EMPTY, `Request ${requestId} was not found on this CA.`, requestId);
  }
  switch (record.status) {
    case 'pending':
      return pending(call, record);
    case 'approved':
      return issue(call, record);
    case 'issued':
      return issuedAgain(call, record);
    case 'denied':
      return fault(call, HRESULT.CERTSRV_E_ADMIN_DENIED_REQUEST, 'Denied by the CA manager.', record.requestId, record.template, true);
    case 'failed':
      return fault(call, record.hresult ?? HRESULT.E_INVALIDARG, 'The request was denied.', record.requestId, record.template);
  }
}

function baseRecord(call: CesCall, requestId: string, template: string, renewal: boolean): StoredRequest {
  return {
    requestId,
    caName: call.endpoint.caName,
    template,
    endpoint: call.endpoint.name,
    cesUrl: call.endpoint.url,
    requester: call.requester,
    submittedAt: call.now.toISOString(),
    status: 'pending',
    renewal,
  };
}

async function issue(call: CesCall, record: StoredRequest): Promise<SoapReply> {
  const template = call.core.templates.find((t) => t.name === record.template);
  if (!template || !record.issuance) return fault(call, HRESULT.CERTSRV_E_UNSUPPORTED_CERT_TYPE, `Template ${record.template} is no longer available.`, record.requestId);
  const issued = await issueForRequest(call.core, record.caName, template, record.issuance, call.now, call.fault);
  await writeRequest(call.core.dir, { ...record, status: 'issued', certDer: b64(issued.certDer), decidedAt: call.now.toISOString() });
  return {
    status: 200,
    body: renderIssuedResponse({ requestId: record.requestId, certDer: issued.certDer, cmcResponseDer: issued.cmcResponseDer, relatesTo: call.relatesTo }),
    outcome: 'issued',
    requestId: record.requestId,
    template: record.template,
  };
}

async function issuedAgain(call: CesCall, record: StoredRequest): Promise<SoapReply> {
  const ca = caMaterial(call.core, record.caName);
  const certDer = Buffer.from(record.certDer ?? '', 'base64');
  const cmcResponseDer = await buildCmcResponse({
    status: { kind: 'issued', certDer },
    chainDers: [ca.certDer, call.core.pki.root.certDer],
    signer: ca,
    now: call.now,
  });
  return {
    status: 200,
    body: renderIssuedResponse({ requestId: record.requestId, certDer, cmcResponseDer, relatesTo: call.relatesTo }),
    outcome: 'issued',
    requestId: record.requestId,
    template: record.template,
  };
}

async function pending(call: CesCall, record: StoredRequest): Promise<SoapReply> {
  const ca = caMaterial(call.core, record.caName);
  const cmcResponseDer = await buildCmcResponse({
    status: { kind: 'pending', requestId: record.requestId, text: 'Taken Under Submission' },
    chainDers: [ca.certDer, call.core.pki.root.certDer],
    signer: ca,
    now: call.now,
  });
  return {
    status: 200,
    body: renderPendingResponse({ requestId: record.requestId, cesUrl: record.cesUrl, cmcResponseDer, relatesTo: call.relatesTo }),
    outcome: 'pending',
    requestId: record.requestId,
    template: record.template,
  };
}

async function fault(call: CesCall, hresult: number, reason: string, requestId?: string, template?: string, withCmc = false): Promise<SoapReply> {
  let binaryResponse: string | undefined;
  if (withCmc) {
    const ca = caMaterial(call.core, call.endpoint.caName);
    binaryResponse = b64(
      await buildCmcResponse({ status: { kind: 'failed', text: reason }, chainDers: [ca.certDer, call.core.pki.root.certDer], signer: ca, now: call.now }),
    );
  }
  return {
    status: 500,
    body: renderEnrollmentFault({ hresult, reason, relatesTo: call.relatesTo, ...(requestId !== undefined ? { requestId } : {}), ...(binaryResponse ? { binaryResponse } : {}) }),
    outcome: hresult === HRESULT.CERTSRV_E_ADMIN_DENIED_REQUEST ? 'denied' : 'fault',
    hresult,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(template !== undefined ? { template } : {}),
  };
}
