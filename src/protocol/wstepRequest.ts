// MS-WSTEP RequestSecurityToken: Issue (new enrollment and renewal alike) and QueryTokenStatus,
// built as in protocol.md §3.2, §9.3–9.5, and parsed back for the lab.
import { ProtocolError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { ACTION, ENCODING_TYPE_BASE64, NS, REQUEST_TYPE, TOKEN_TYPE_X509V3, VALUE_TYPE } from './namespaces.js';
import { buildEnvelope } from './soap.js';
import type { UsernameTokenInput } from './soap.js';
import { attr, child, childText, children, expectElement, isNil } from './xml.js';
import type { XmlElement } from './xml.js';
import { el } from './xmlWriter.js';
import type { XmlNode } from './xmlWriter.js';

export interface ContextItem {
  name: string;
  value: string;
}

interface CommonInput {
  /** The exact CES URL the message is POSTed to. */
  to: string;
  messageId?: string;
  usernameToken?: UsernameTokenInput;
  now?: Date;
  /** Sent as the unqualified PreferredLanguage attribute Windows-derived clients use. */
  preferredLanguage?: string;
}

export interface IssueRequestInput extends CommonInput {
  payloadDer: Uint8Array;
  /** pkcs10: a bare PKCS#10; pkcs7: CMS SignedData (renewal) or CMC — one ValueType for both. */
  payloadType: 'pkcs10' | 'pkcs7';
  /** e.g. [{ name: 'CertificateTemplate', value: 'Machine' }]; left out when empty. */
  additionalContext?: ContextItem[];
}

export interface QueryTokenStatusInput extends CommonInput {
  requestId: string;
}

function rst(input: { preferredLanguage?: string }, requestType: string, ...rest: (XmlNode | undefined)[]): XmlNode {
  return el(
    'wst:RequestSecurityToken',
    { 'xmlns:wst': NS.wst, PreferredLanguage: input.preferredLanguage },
    el('wst:TokenType', {}, TOKEN_TYPE_X509V3),
    el('wst:RequestType', {}, requestType),
    ...rest,
  );
}

function additionalContext(items: ContextItem[] | undefined): XmlNode | undefined {
  if (!items || items.length === 0) return undefined;
  return el(
    'ac:AdditionalContext',
    { 'xmlns:ac': NS.auth },
    ...items.map((item) => el('ac:ContextItem', { Name: item.name }, el('ac:Value', {}, item.value))),
  );
}

/** The wst:RequestSecurityToken element of an Issue request (wsse and xsi must be bound where it is placed). */
export function issueBody(input: Omit<IssueRequestInput, 'to' | 'messageId' | 'usernameToken' | 'now'>): XmlNode {
  if (input.payloadDer.byteLength === 0) throw new ProtocolError('Issue request payload is empty', 'WSTEP_EMPTY_PAYLOAD');
  return rst(
    input,
    REQUEST_TYPE.issue,
    el(
      'wsse:BinarySecurityToken',
      { ValueType: input.payloadType === 'pkcs10' ? VALUE_TYPE.pkcs10 : VALUE_TYPE.pkcs7, EncodingType: ENCODING_TYPE_BASE64 },
      encodeBase64(input.payloadDer),
    ),
    additionalContext(input.additionalContext),
    el('wstep:RequestID', { 'xmlns:wstep': NS.wstep, 'xsi:nil': 'true' }),
  );
}

export function queryTokenStatusBody(input: Omit<QueryTokenStatusInput, 'to' | 'messageId' | 'usernameToken' | 'now'>): XmlNode {
  if (input.requestId.trim() === '') throw new ProtocolError('QueryTokenStatus needs a RequestID', 'WSTEP_NO_REQUEST_ID');
  return rst(input, REQUEST_TYPE.queryTokenStatus, el('wstep:RequestID', { 'xmlns:wstep': NS.wstep }, input.requestId));
}

export function buildIssueRequest(input: IssueRequestInput): string {
  return buildEnvelope({ action: ACTION.wstepRequest, to: input.to, messageId: input.messageId, usernameToken: input.usernameToken, now: input.now, body: issueBody(input) });
}

export function buildQueryTokenStatusRequest(input: QueryTokenStatusInput): string {
  return buildEnvelope({
    action: ACTION.wstepRequest,
    to: input.to,
    messageId: input.messageId,
    usernameToken: input.usernameToken,
    now: input.now,
    body: queryTokenStatusBody(input),
  });
}

export interface ParsedBinarySecurityToken {
  valueType: string;
  encodingType: string;
  der: Uint8Array;
}

export interface ParsedRequestSecurityToken {
  /** 'issue' | 'queryTokenStatus' | 'ket', or the raw URI for anything else (the server should fault). */
  requestType: 'issue' | 'queryTokenStatus' | 'ket' | (string & {});
  tokenType: string;
  binarySecurityToken?: ParsedBinarySecurityToken;
  additionalContext: ContextItem[];
  requestId: string | null;
  preferredLanguage?: string;
}

const REQUEST_TYPE_NAMES: Record<string, 'issue' | 'queryTokenStatus' | 'ket'> = {
  [REQUEST_TYPE.issue]: 'issue',
  [REQUEST_TYPE.queryTokenStatus]: 'queryTokenStatus',
  [REQUEST_TYPE.ket]: 'ket',
};

/** Reads a wst:RequestSecurityToken element (the body of an incoming CES request). */
export function parseRequestSecurityToken(body: XmlElement): ParsedRequestSecurityToken {
  expectElement(body, NS.wst, 'RequestSecurityToken', 'WSTEP request');
  const requestTypeUri = childText(body, NS.wst, 'RequestType') ?? '';
  const result: ParsedRequestSecurityToken = {
    requestType: REQUEST_TYPE_NAMES[requestTypeUri] ?? requestTypeUri,
    tokenType: childText(body, NS.wst, 'TokenType') ?? '',
    additionalContext: [],
    requestId: null,
  };
  const bst = child(body, NS.wsse, 'BinarySecurityToken');
  if (bst) {
    result.binarySecurityToken = {
      valueType: attr(bst, '', 'ValueType') ?? '',
      encodingType: attr(bst, '', 'EncodingType') ?? '',
      der: decodeBase64(bst.text, 'BinarySecurityToken'),
    };
  }
  for (const item of children(child(body, NS.auth, 'AdditionalContext'), NS.auth, 'ContextItem')) {
    result.additionalContext.push({ name: attr(item, '', 'Name') ?? '', value: child(item, NS.auth, 'Value')?.text ?? '' });
  }
  const requestId = child(body, NS.wstep, 'RequestID');
  if (requestId && !isNil(requestId) && requestId.text.trim() !== '') result.requestId = requestId.text.trim();
  const language = attr(body, '', 'PreferredLanguage') ?? attr(body, NS.wstep, 'PreferredLanguage');
  if (language !== undefined) result.preferredLanguage = language;
  return result;
}
