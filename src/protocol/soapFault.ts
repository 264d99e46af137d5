// SOAP 1.2 faults from CEP/CES (protocol.md §3.5, §9.8) and what they mean for the agent.
//
// Mapping (faultToError):
//   ca-denied  — CertificateEnrollmentWSDetail present or the WSDetailFault action: the CA or CES
//                gave an authoritative answer → EnrollmentDenied (exit 2) with HRESULT and RequestID;
//                no failover to another CES of the same CA.
//   security   — WS-Security subcodes (FailedAuthentication, InvalidSecurity, …) → CredentialError (exit 4).
//   addressing — WS-Addressing fault (To/Action mismatch) → ProtocolError SOAP_ADDRESSING_FAULT (exit 3).
//   internal   — WCF dispatcher fault / InternalServiceFault / Receiver without detail → ProtocolError
//                SOAP_SERVER_FAULT (exit 3): the endpoint is unhealthy, try the next one.
//   other      — anything else → ProtocolError SOAP_FAULT (exit 3).
import { CredentialError, EnrollmentDenied, ProtocolError } from '../errors.js';
import type { AutoenrollError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { describeHresult, hresultMeaning, hresultName, hresultToHex } from './hresult.js';
import { ACTION, NS } from './namespaces.js';
import { child, children, isNil, resolveQName } from './xml.js';
import type { XmlElement } from './xml.js';
import { redact } from '../secrets/redactor.js';

export type FaultCategory = 'ca-denied' | 'internal' | 'addressing' | 'security' | 'other';

export interface EnrollmentFaultDetail {
  /** Signed 32-bit HRESULT as on the wire, or null when absent/nil. */
  hresult: number | null;
  hresultHex: string | null;
  hresultName?: string;
  /** What the HRESULT usually means. */
  message?: string;
  requestId: string | null;
  invalidRequest: boolean | null;
  binaryResponseDer?: Uint8Array;
}

export interface SoapFault {
  /** Local name of the fault code: 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch' | 'DataEncodingUnknown' (or the raw text). */
  code: string;
  /** Local name of the first subcode (e.g. 'InternalServiceFault', 'DestinationUnreachable'). */
  subcode?: string;
  subcodeNamespace?: string;
  reason: string;
  action?: string;
  detail?: EnrollmentFaultDetail;
  category: FaultCategory;
}

const SECURITY_SUBCODES = new Set([
  'FailedAuthentication',
  'InvalidSecurity',
  'InvalidSecurityToken',
  'FailedCheck',
  'SecurityTokenUnavailable',
  'MessageExpired',
  'UnsupportedSecurityToken',
  'UnsupportedAlgorithm',
  'BadContext',
]);

function parseDetail(detailEl: XmlElement | undefined): EnrollmentFaultDetail | undefined {
  const wsDetail = child(detailEl, NS.wstep, 'CertificateEnrollmentWSDetail');
  if (!wsDetail) return undefined;
  const text = (local: string): string | undefined => {
    const e = child(wsDetail, NS.wstep, local);
    if (!e || isNil(e)) return undefined;
    const t = e.text.trim();
    return t === '' ? undefined : t;
  };
  const detail: EnrollmentFaultDetail = { hresult: null, hresultHex: null, requestId: text('RequestID') ?? null, invalidRequest: null };
  const code = text('ErrorCode');
  if (code !== undefined) {
    const n = Number(code);
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new ProtocolError('fault ErrorCode is not a 32-bit integer', 'SOAP_FAULT_BAD_DETAIL');
    detail.hresult = n | 0;
    detail.hresultHex = hresultToHex(n);
    const name = hresultName(n);
    if (name) detail.hresultName = name;
    const meaning = hresultMeaning(n);
    if (meaning) detail.message = meaning;
  }
  const invalid = text('InvalidRequest');
  if (invalid !== undefined) detail.invalidRequest = invalid === 'true' || invalid === '1';
  const binary = text('BinaryResponse');
  if (binary !== undefined) {
    try {
      detail.binaryResponseDer = decodeBase64(binary, 'fault BinaryResponse');
    } catch {
      // A garbled optional blob must not hide the HRESULT the user needs.
    }
  }
  return detail;
}

function categorize(fault: Omit<SoapFault, 'category'>): FaultCategory {
  if (fault.detail || fault.action === ACTION.enrollmentFault) return 'ca-denied';
  if (fault.subcode && (fault.subcodeNamespace === NS.wsse || SECURITY_SUBCODES.has(fault.subcode))) return 'security';
  if (fault.action === ACTION.addressingFault || fault.subcodeNamespace === NS.wsa) return 'addressing';
  if (fault.action === ACTION.wcfDispatcherFault || fault.subcode === 'InternalServiceFault' || fault.code === 'Receiver') return 'internal';
  return 'other';
}

/** Reads an s:Fault element. action is the envelope's a:Action, when there was one. */
export function parseSoapFault(faultEl: XmlElement, action?: string): SoapFault {
  const codeEl = child(faultEl, NS.soap, 'Code');
  const valueEl = child(codeEl, NS.soap, 'Value');
  let code = '';
  if (valueEl) {
    const q = resolveQName(valueEl, valueEl.text);
    code = q.ns === NS.soap ? q.local : valueEl.text.trim();
  }
  const fault: Omit<SoapFault, 'category'> = { code, reason: '' };
  const subValue = child(child(codeEl, NS.soap, 'Subcode'), NS.soap, 'Value');
  if (subValue) {
    const q = resolveQName(subValue, subValue.text);
    fault.subcode = q.local;
    if (q.ns !== '') fault.subcodeNamespace = q.ns;
  }
  const texts = children(child(faultEl, NS.soap, 'Reason'), NS.soap, 'Text');
  const english = texts.find((t) => (t.attrs[`{${NS.xml}}lang`] ?? '').toLowerCase().startsWith('en')) ?? texts[0];
  fault.reason = english?.text.trim() ?? '';
  if (action !== undefined) fault.action = action;
  const detail = parseDetail(child(faultEl, NS.soap, 'Detail'));
  if (detail) fault.detail = detail;
  return { ...fault, category: categorize(fault) };
}

function shortReason(reason: string): string {
  // Server text goes into our messages: keep it printable and bounded, and redact before cutting
  // (a server quoting our request would otherwise leave the start of a password at the cut).
  const clean = redact(reason.replace(/\p{Cc}+/gu, ' ').trim());
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

/** The AutoenrollError a fault stands for (see the mapping at the top of this file). */
export function faultToError(fault: SoapFault, endpoint?: string): AutoenrollError {
  const where = endpoint ? ` from ${endpoint}` : '';
  const said = fault.reason ? `: "${shortReason(fault.reason)}"` : '';
  switch (fault.category) {
    case 'ca-denied': {
      const d = fault.detail;
      const parts = [`the CA denied the request${where}`];
      if (d?.hresult != null) parts.push(`${describeHresult(d.hresult)}${d.message ? ` — ${d.message}` : ''}`);
      if (d?.requestId) parts.push(`RequestID ${d.requestId}`);
      const message = parts.join(', ') + said;
      const details: { hresult?: number; requestId?: string } = {};
      if (d?.hresult != null) details.hresult = d.hresult;
      if (d?.requestId) details.requestId = d.requestId;
      return new EnrollmentDenied(message, details, d?.hresult != null ? 'CA_DENIED' : 'ENROLLMENT_FAULT');
    }
    case 'security':
      return new CredentialError(
        `the server rejected the credentials or message security${where} (${fault.subcode})${said}; check the username/password, and the clock if the message expired`,
        'SERVER_REJECTED_CREDENTIALS',
      );
    case 'addressing':
      return new ProtocolError(`the server refused the message addressing${where} (${fault.subcode ?? fault.code})${said}; check the endpoint URL`, 'SOAP_ADDRESSING_FAULT');
    case 'internal':
      return new ProtocolError(`the server reported an internal error${where}${said}`, 'SOAP_SERVER_FAULT');
    default:
      return new ProtocolError(`the server answered with a SOAP fault${where} (${fault.code}${fault.subcode ? `/${fault.subcode}` : ''})${said}`, 'SOAP_FAULT');
  }
}
