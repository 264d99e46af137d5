// MS-WSTEP responses (protocol.md §3.3–3.5, §9.6–9.8) → exactly one of issued, pending or fault.
// The decision is made from structure, never from the localized DispositionMessage text.
import { ProtocolError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { ACTION, NS, VALUE_TYPE } from './namespaces.js';
import { pkcs7LeafCertificateDer } from './pkcs7Certificates.js';
import { expectAction, parseEnvelope } from './soap.js';
import { parseSoapFault } from './soapFault.js';
import type { SoapFault } from './soapFault.js';
import { attr, child, isNil } from './xml.js';
import type { XmlElement, XmlLimits } from './xml.js';
import { redact } from '../secrets/redactor.js';

export interface WstepIssued {
  kind: 'issued';
  /** The issued end-entity certificate (DER). */
  certificateDer: Uint8Array;
  /** The CMC full PKI response / PKCS#7 with the chain, when the server sent one. */
  pkcs7Der?: Uint8Array;
  requestId: string | null;
  disposition?: string;
  /** True for a KET answer: certificateDer is then the CA exchange certificate. */
  keyExchange?: boolean;
}

export interface WstepPending {
  kind: 'pending';
  requestId: string;
  /** The CES URI that holds the request (poll it there); null when the server gave none. */
  referenceUri: string | null;
  pkcs7Der?: Uint8Array;
  disposition?: string;
}

export interface WstepFault {
  kind: 'fault';
  fault: SoapFault;
}

export type WstepResponse = WstepIssued | WstepPending | WstepFault;

function printable(body: string): string {
  return redact(body).slice(0, 120).replace(/[^\x20-\x7e]+/g, ' ').trim();
}

function tokenDer(bst: XmlElement, what: string): Uint8Array {
  return decodeBase64(bst.text, what);
}

/**
 * Parses a CES answer: a full envelope or a bare RequestSecurityTokenResponseCollection.
 * httpStatus, when given, only improves the error for bodies that are not SOAP at all.
 */
export function parseWstepResponse(input: string | Uint8Array, httpStatus?: number, limits?: XmlLimits): WstepResponse {
  let envelope;
  try {
    envelope = parseEnvelope(input, { allowBare: true, limits });
  } catch (error) {
    if (httpStatus !== undefined && error instanceof ProtocolError && (error.code === 'XML_MALFORMED' || error.code === 'XML_UNBOUND_PREFIX')) {
      const text = typeof input === 'string' ? input : Buffer.from(input.subarray(0, 200)).toString('utf8');
      throw new ProtocolError(`HTTP ${httpStatus} with a body that is not SOAP: "${printable(text)}"`, 'HTTP_NOT_SOAP', { cause: error });
    }
    throw error;
  }
  const payload = envelope.payload;
  if (payload.ns === NS.soap && payload.local === 'Fault') return { kind: 'fault', fault: parseSoapFault(payload, envelope.action) };

  expectAction(envelope.action, [ACTION.wstepResponse, ACTION.ketResponse], 'RequestSecurityTokenResponseCollection');
  let rstr: XmlElement | undefined;
  if (payload.ns === NS.wst && payload.local === 'RequestSecurityTokenResponseCollection') {
    rstr = child(payload, NS.wst, 'RequestSecurityTokenResponse');
    if (!rstr) throw new ProtocolError('RequestSecurityTokenResponseCollection holds no RequestSecurityTokenResponse', 'WSTEP_EMPTY_RESPONSE');
  } else if (payload.ns === NS.wst && payload.local === 'RequestSecurityTokenResponse') {
    rstr = payload;
  } else {
    throw new ProtocolError(`expected a WS-Trust RequestSecurityTokenResponseCollection, found {${payload.ns}}${payload.local}`, 'XML_UNEXPECTED_ELEMENT');
  }

  const requestIdEl = child(rstr, NS.wstep, 'RequestID');
  const requestId = requestIdEl && !isNil(requestIdEl) && requestIdEl.text.trim() !== '' ? requestIdEl.text.trim() : null;
  const dispositionEl = child(rstr, NS.wstep, 'DispositionMessage');
  const disposition = dispositionEl && !isNil(dispositionEl) ? dispositionEl.text.trim() : undefined;
  const outer = child(rstr, NS.wsse, 'BinarySecurityToken');
  const pkcs7Der = outer ? tokenDer(outer, 'PKCS#7 BinarySecurityToken') : undefined;
  const requested = child(rstr, NS.wst, 'RequestedSecurityToken');

  const extras = <T extends object>(base: T): T => {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    if (pkcs7Der) out.pkcs7Der = pkcs7Der;
    if (disposition !== undefined) out.disposition = disposition;
    return out as T;
  };

  const ket = child(child(requested, NS.wst, 'KeyExchangeToken'), NS.wsse, 'BinarySecurityToken');
  if (ket) return extras<WstepIssued>({ kind: 'issued', certificateDer: tokenDer(ket, 'KeyExchangeToken'), requestId, keyExchange: true });

  const issuedToken = child(requested, NS.wsse, 'BinarySecurityToken');
  if (issuedToken) {
    const der = tokenDer(issuedToken, 'issued certificate BinarySecurityToken');
    // Before the 2021 errata a server could put the MS-WCCE PKCS#7 response here instead of the bare certificate.
    const certificateDer = attr(issuedToken, '', 'ValueType') === VALUE_TYPE.pkcs7 ? pkcs7LeafCertificateDer(der) : der;
    const issued = extras<WstepIssued>({ kind: 'issued', certificateDer, requestId });
    if (!issued.pkcs7Der && certificateDer !== der) issued.pkcs7Der = der;
    return issued;
  }

  const reference = child(child(requested, NS.wsse, 'SecurityTokenReference'), NS.wsse, 'Reference');
  if (requestId === null) {
    throw new ProtocolError('CES response has neither a certificate nor a RequestID', 'WSTEP_NO_RESULT');
  }
  // No certificate: pending. A response with neither certificate nor reference is treated as
  // pending too; polling it by RequestID gets the CA's real verdict.
  return extras<WstepPending>({ kind: 'pending', requestId, referenceUri: attr(reference, '', 'URI')?.trim() || null });
}
