// SOAP 1.2 envelopes with WS-Addressing and the WS-Security UsernameToken header, built exactly as
// Windows sends them (protocol.md §1.3, §1.6, §9.1), and parsed whatever prefixes the peer chose.
import { randomUUID } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { NS, PASSWORD_TYPE, WSA_ANONYMOUS } from './namespaces.js';
import { child, childText, expectElement, attr, parseXml } from './xml.js';
import type { XmlElement, XmlLimits } from './xml.js';
import { el, renderXml } from './xmlWriter.js';
import type { XmlNode } from './xmlWriter.js';

export interface UsernameTokenInput {
  username: string;
  password: string;
}

export interface EnvelopeInput {
  action: string;
  /** The exact URL the message is POSTed to; WCF refuses a message whose To does not match. */
  to: string;
  messageId?: string;
  /** Present unless null (then ReplyTo is left out). Default: the WS-Addressing anonymous URI. */
  replyTo?: string | null;
  usernameToken?: UsernameTokenInput;
  /** Clock for the WS-Security Timestamp. */
  now?: Date;
  /** The single child of s:Body. */
  body: XmlNode;
}

/** Lifetime of the WS-Security Timestamp, as WCF clients send it. */
export const TIMESTAMP_LIFETIME_MS = 5 * 60 * 1000;

export function newMessageId(): string {
  return `urn:uuid:${randomUUID()}`;
}

function securityHeader(token: UsernameTokenInput, now: Date): XmlNode {
  const created = now.toISOString();
  const expires = new Date(now.getTime() + TIMESTAMP_LIFETIME_MS).toISOString();
  return el(
    'wsse:Security',
    { 's:mustUnderstand': '1' },
    el('wsu:Timestamp', { 'wsu:Id': '_0' }, el('wsu:Created', {}, created), el('wsu:Expires', {}, expires)),
    el(
      'wsse:UsernameToken',
      { 'wsu:Id': `uuid-${randomUUID()}-1` },
      el('wsse:Username', {}, token.username),
      el('wsse:Password', { Type: PASSWORD_TYPE.text }, token.password),
    ),
  );
}

/** A complete SOAP 1.2 envelope as a string (UTF-8 when sent). Throws InputError on characters XML cannot carry. */
export function buildEnvelope(input: EnvelopeInput): string {
  const replyTo = input.replyTo === undefined ? WSA_ANONYMOUS : input.replyTo;
  const envelope = el(
    's:Envelope',
    { 'xmlns:s': NS.soap, 'xmlns:a': NS.wsa, 'xmlns:wsse': NS.wsse, 'xmlns:wsu': NS.wsu, 'xmlns:xsi': NS.xsi },
    el(
      's:Header',
      {},
      el('a:Action', { 's:mustUnderstand': '1' }, input.action),
      el('a:MessageID', {}, input.messageId ?? newMessageId()),
      replyTo !== null && el('a:ReplyTo', {}, el('a:Address', {}, replyTo)),
      el('a:To', { 's:mustUnderstand': '1' }, input.to),
      input.usernameToken && securityHeader(input.usernameToken, input.now ?? new Date()),
    ),
    el('s:Body', {}, input.body),
  );
  return renderXml(envelope);
}

export interface ParsedEnvelope {
  root: XmlElement;
  header: XmlElement | undefined;
  /** The first element inside s:Body (or the root itself for a bare body). */
  payload: XmlElement;
  action: string | undefined;
  relatesTo: string | undefined;
  /** False when the document was a bare body element without an envelope (e.g. a logged payload). */
  enveloped: boolean;
}

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';

/** Parses a SOAP 1.2 envelope or, when allowBare, a bare payload element. */
/**
 * A response's wsa:Action must be the one its operation answers with: another action (a fault's,
 * another operation's) under a normal body is a protocol error, and the endpoint counts as
 * unhealthy. A response without the header (bare bodies, some captures) is judged by its body alone.
 */
export function expectAction(action: string | undefined, expected: readonly string[], what: string): void {
  if (action === undefined || action === '' || expected.includes(action)) return;
  throw new ProtocolError(`the ${what} came with wsa:Action "${action.slice(0, 200)}", expected "${expected.join('" or "')}"`, 'WSA_ACTION_MISMATCH');
}

export function parseEnvelope(input: string | Uint8Array | XmlElement, options: { allowBare?: boolean; limits?: XmlLimits } = {}): ParsedEnvelope {
  const root = typeof input === 'string' || input instanceof Uint8Array ? parseXml(input, options.limits) : input;
  if (root.local === 'Envelope' && root.ns === SOAP11) {
    throw new ProtocolError('SOAP 1.1 envelope received; CEP/CES speak SOAP 1.2', 'SOAP_VERSION');
  }
  if (root.local !== 'Envelope' || root.ns !== NS.soap) {
    if (options.allowBare) return { root, header: undefined, payload: root, action: undefined, relatesTo: undefined, enveloped: false };
    throw new ProtocolError(`expected a SOAP 1.2 Envelope, found {${root.ns}}${root.local}`, 'SOAP_NOT_ENVELOPE');
  }
  const header = child(root, NS.soap, 'Header');
  const body = expectElement(child(root, NS.soap, 'Body'), NS.soap, 'Body', 'SOAP envelope');
  const payload = body.children[0];
  if (!payload) throw new ProtocolError('SOAP Body is empty', 'SOAP_EMPTY_BODY');
  return {
    root,
    header,
    payload,
    action: childText(header, NS.wsa, 'Action'),
    relatesTo: childText(header, NS.wsa, 'RelatesTo'),
    enveloped: true,
  };
}

export interface ParsedUsernameToken {
  username: string;
  password: string;
  passwordType: string;
}

export interface ParsedSoapRequest {
  action: string;
  messageId: string;
  to: string;
  replyTo?: string;
  usernameToken?: ParsedUsernameToken;
  timestamp?: { created: Date; expires: Date };
  /** The element inside s:Body. */
  body: XmlElement;
}

function parseTime(text: string | undefined, what: string): Date {
  const date = text === undefined ? new Date(Number.NaN) : new Date(text);
  if (Number.isNaN(date.getTime())) throw new ProtocolError(`${what} is not a valid dateTime`, 'WSSE_BAD_TIMESTAMP');
  return date;
}

/** Reads an incoming request envelope (used by the lab): addressing headers, credentials, and the body element. */
export function parseSoapRequest(input: string | Uint8Array, limits?: XmlLimits): ParsedSoapRequest {
  const envelope = parseEnvelope(input, { limits });
  const header = envelope.header;
  if (envelope.action === undefined || envelope.action === '') throw new ProtocolError('request has no a:Action header', 'WSA_NO_ACTION');
  const messageId = childText(header, NS.wsa, 'MessageID');
  if (messageId === undefined || messageId === '') throw new ProtocolError('request has no a:MessageID header', 'WSA_NO_MESSAGE_ID');
  const result: ParsedSoapRequest = {
    action: envelope.action,
    messageId,
    to: childText(header, NS.wsa, 'To') ?? '',
    body: envelope.payload,
  };
  const replyTo = childText(child(header, NS.wsa, 'ReplyTo'), NS.wsa, 'Address');
  if (replyTo !== undefined) result.replyTo = replyTo;

  const security = child(header, NS.wsse, 'Security');
  if (security) {
    const token = child(security, NS.wsse, 'UsernameToken');
    if (token) {
      const password = child(token, NS.wsse, 'Password');
      // Credentials are taken verbatim: trimming would change a password that ends in a space.
      result.usernameToken = {
        username: child(token, NS.wsse, 'Username')?.text ?? '',
        password: password?.text ?? '',
        passwordType: attr(password, '', 'Type') ?? PASSWORD_TYPE.text,
      };
    }
    const timestamp = child(security, NS.wsu, 'Timestamp');
    if (timestamp) {
      result.timestamp = {
        created: parseTime(childText(timestamp, NS.wsu, 'Created'), 'wsu:Created'),
        expires: parseTime(childText(timestamp, NS.wsu, 'Expires'), 'wsu:Expires'),
      };
    }
  }
  return result;
}

