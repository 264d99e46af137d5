// SOAP faults as IIS/WCF hosting CES/CEP writes them (protocol.md §3.5, §9.8), all sent with HTTP 500:
// - the CES enrollment fault with CertificateEnrollmentWSDetail (capture: adcs-rs
//   fault_bad_template_version_server_response.xml);
// - the WS-Addressing AddressFilter mismatch (capture: fault_address_filter_mismatch_server_response.xml)
//   and ActionNotSupported (WS-Addressing 1.0 SOAP binding §6.4.2);
// - the WS-Security authentication fault for a rejected UsernameToken: s:Sender with subcode
//   wsse:FailedAuthentication (WSS SOAP Message Security 1.0 §12, "The security token could not be
//   authenticated or authorized"); the reason text is WCF's wording for a failed token validation.
import { ACTION, NS } from '../protocol/namespaces.js';
import { el } from '../protocol/xmlWriter.js';
import type { XmlNode } from '../protocol/xmlWriter.js';
import { toSignedHresult } from './hresults.js';
import { renderEnvelope } from './soapEnvelope.js';

export interface EnrollmentFaultInput {
  hresult: number;
  reason: string;
  requestId?: string;
  relatesTo?: string;
  /** Base64 CA response blob (a CMC response with the failure), or nil. */
  binaryResponse?: string;
}

export function renderEnrollmentFault(input: EnrollmentFaultInput): string {
  const detail = el(
    'CertificateEnrollmentWSDetail',
    { xmlns: NS.wstep, 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', 'xmlns:xsi': NS.xsi },
    input.binaryResponse === undefined ? el('BinaryResponse', { 'xsi:nil': 'true' }) : el('BinaryResponse', {}, input.binaryResponse),
    el('ErrorCode', {}, String(toSignedHresult(input.hresult))),
    el('InvalidRequest', {}, 'true'),
    input.requestId === undefined ? el('RequestID', { 'xsi:nil': 'true' }) : el('RequestID', {}, input.requestId),
  );
  return renderEnvelope({
    action: ACTION.enrollmentFault,
    relatesTo: input.relatesTo,
    body: fault('s:Receiver', undefined, input.reason, detail),
  });
}

/** WCF's answer when a:To is missing or is not this endpoint's address. */
export function renderAddressFilterFault(to: string, relatesTo?: string): string {
  return renderEnvelope({
    action: ACTION.addressingFault,
    relatesTo,
    body: fault(
      's:Sender',
      { ns: NS.wsa, value: 'a:DestinationUnreachable' },
      `The message with To '${to}' cannot be processed at the receiver, due to an AddressFilter mismatch at the EndpointDispatcher.  Check that the sender and receiver's EndpointAddresses agree.`,
    ),
  });
}

/** WCF's answer to an a:Action no operation of the contract handles. */
export function renderActionNotSupportedFault(action: string, relatesTo?: string): string {
  return renderEnvelope({
    action: ACTION.addressingFault,
    relatesTo,
    body: fault(
      's:Sender',
      { ns: NS.wsa, value: 'a:ActionNotSupported' },
      `The message with Action '${action}' cannot be processed at the receiver, due to a ContractFilter mismatch at the EndpointDispatcher. This may be because of either a contract mismatch (mismatched Actions between sender and receiver) or a binding/security mismatch between the sender and the receiver.  Check that sender and receiver have the same contract and the same binding (including security requirements, e.g. Message, Transport, None).`,
    ),
  });
}

/** A rejected or missing UsernameToken. */
export function renderAuthenticationFault(relatesTo?: string): string {
  return renderEnvelope({
    action: ACTION.addressingFault,
    relatesTo,
    body: fault('s:Sender', { ns: NS.wsse, value: 'wsse:FailedAuthentication', prefix: 'wsse' }, 'At least one security token in the message could not be validated.'),
  });
}

/** A fault that quotes the request it answers (a hostile or badly debugged server: reflectRequest). */
export function renderReflectedFault(request: string): string {
  return renderEnvelope({
    action: ACTION.addressingFault,
    body: fault('s:Receiver', undefined, `The server could not process this request: ${request}`),
  });
}

/** WCF's generic internal error (no detail): what a request the service cannot read ends in. */
export function renderInternalServiceFault(relatesTo?: string): string {
  return renderEnvelope({
    action: ACTION.wcfDispatcherFault,
    relatesTo,
    body: fault(
      's:Receiver',
      { ns: NS.wcfDispatcher, value: 'a:InternalServiceFault' },
      'The server was unable to process the request due to an internal error.  For more information about the error, either turn on IncludeExceptionDetailInFaults (either from ServiceBehaviorAttribute or from the <serviceDebug> configuration behavior) on the server in order to send the exception information back to the client, or turn on tracing as per the Microsoft .NET Framework SDK documentation and inspect the server trace logs.',
    ),
  });
}

function fault(code: string, subcode: { ns: string; value: string; prefix?: string } | undefined, reason: string, detail?: XmlNode): XmlNode {
  const prefix = subcode?.prefix ?? 'a';
  return el(
    's:Fault',
    {},
    el(
      's:Code',
      {},
      el('s:Value', {}, code),
      subcode ? el('s:Subcode', {}, el('s:Value', { [`xmlns:${prefix}`]: subcode.ns }, subcode.value)) : undefined,
    ),
    el('s:Reason', {}, el('s:Text', { 'xml:lang': 'en-US' }, reason)),
    detail ? el('s:Detail', {}, detail) : undefined,
  );
}
