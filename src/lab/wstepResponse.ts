// RequestSecurityTokenResponseCollection as CES writes it (protocol.md §3.3, §9.6, §9.7; element
// layout of the MS-WSTEP example in adcs-rs standard_certificate_server_response.xml): issued =
// outer #PKCS7 CMC response + inner #X509v3 leaf; pending = reference to this CES URI. Both carry
// the real RequestID.
import { ACTION, ENCODING_TYPE_BASE64, NS, TOKEN_TYPE_X509V3, VALUE_TYPE } from '../protocol/namespaces.js';
import { el } from '../protocol/xmlWriter.js';
import type { XmlNode } from '../protocol/xmlWriter.js';
import { renderEnvelope } from './soapEnvelope.js';

export interface IssuedResponseInput {
  requestId: string;
  certDer: Uint8Array;
  cmcResponseDer: Uint8Array;
  relatesTo?: string;
}

export interface PendingResponseInput {
  requestId: string;
  /** The URL of the CES that holds the request (QueryTokenStatus goes there). */
  cesUrl: string;
  cmcResponseDer?: Uint8Array;
  relatesTo?: string;
}

const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');

function token(valueType: string, der: Uint8Array): XmlNode {
  return el('BinarySecurityToken', { ValueType: valueType, EncodingType: ENCODING_TYPE_BASE64, xmlns: NS.wsse }, b64(der));
}

function collection(disposition: string, requestId: string, outer: Uint8Array | undefined, requested: XmlNode): XmlNode {
  return el(
    'RequestSecurityTokenResponseCollection',
    { xmlns: NS.wst },
    el(
      'RequestSecurityTokenResponse',
      {},
      el('TokenType', {}, TOKEN_TYPE_X509V3),
      el('DispositionMessage', { 'xml:lang': 'en-US', xmlns: NS.wstep }, disposition),
      outer ? token(VALUE_TYPE.pkcs7, outer) : undefined,
      el('RequestedSecurityToken', {}, requested),
      el('RequestID', { xmlns: NS.wstep }, requestId),
    ),
  );
}

export function renderIssuedResponse(input: IssuedResponseInput): string {
  return renderEnvelope({
    action: ACTION.wstepResponse,
    relatesTo: input.relatesTo,
    body: collection('Issued', input.requestId, input.cmcResponseDer, token(VALUE_TYPE.x509v3, input.certDer)),
  });
}

export function renderPendingResponse(input: PendingResponseInput): string {
  const reference = el('SecurityTokenReference', { xmlns: NS.wsse }, el('Reference', { URI: input.cesUrl }));
  return renderEnvelope({
    action: ACTION.wstepResponse,
    relatesTo: input.relatesTo,
    body: collection('Taken Under Submission', input.requestId, input.cmcResponseDer, reference),
  });
}
