// MS-XCEP GetPolicies request: built as Windows sends it (protocol.md §2.1, §9.1) and parsed back
// (the lab reads incoming requests with it).
import { ProtocolError } from '../errors.js';
import { ACTION, NS } from './namespaces.js';
import { buildEnvelope } from './soap.js';
import type { UsernameTokenInput } from './soap.js';
import { child, children, expectElement, isNil } from './xml.js';
import type { XmlElement } from './xml.js';
import { el } from './xmlWriter.js';
import type { XmlNode } from './xmlWriter.js';

/** xcep:RequestFilter. null members are sent as xsi:nil, undefined ones are left out. */
export interface RequestFilter {
  policyOids?: string[] | null;
  clientVersion?: number | null;
  serverVersion?: number | null;
}

export interface GetPoliciesRequestInput {
  to: string;
  messageId?: string;
  /** GMT time of the last successful retrieval from a server with this policy ID; null/absent = never (full response). */
  lastUpdate?: Date | null;
  preferredLanguage?: string | null;
  /** null/absent = `<requestFilter xsi:nil="true"/>` (no filtering), as in the spec example. */
  requestFilter?: RequestFilter | null;
  usernameToken?: UsernameTokenInput;
  now?: Date;
}

/** The filter Windows-derived tooling sends (clientVersion 6, serverVersion 0, no OID filter). */
export const WINDOWS_REQUEST_FILTER: RequestFilter = { policyOids: null, clientVersion: 6, serverVersion: 0 };

const nil = { 'xsi:nil': 'true' };

function optionalInt(name: string, value: number | null | undefined): XmlNode | undefined {
  if (value === undefined) return undefined;
  if (value === null) return el(name, nil);
  return el(name, {}, String(Math.trunc(value)));
}

/** The xcep:GetPolicies element (xsi must be bound where it is placed; our envelope binds it). */
export function getPoliciesBody(input: Omit<GetPoliciesRequestInput, 'to' | 'messageId' | 'usernameToken' | 'now'>): XmlNode {
  const filter = input.requestFilter;
  const lastUpdate = input.lastUpdate ?? null;
  const language = input.preferredLanguage ?? null;
  return el(
    'GetPolicies',
    { xmlns: NS.xcep },
    el(
      'client',
      {},
      lastUpdate === null ? el('lastUpdate', nil) : el('lastUpdate', {}, lastUpdate.toISOString()),
      language === null ? el('preferredLanguage', nil) : el('preferredLanguage', {}, language),
    ),
    filter === null || filter === undefined
      ? el('requestFilter', nil)
      : el(
          'requestFilter',
          {},
          filter.policyOids === undefined
            ? undefined
            : filter.policyOids === null
              ? el('policyOIDs', nil)
              : el('policyOIDs', {}, ...filter.policyOids.map((oid) => el('oid', {}, oid))),
          optionalInt('clientVersion', filter.clientVersion),
          optionalInt('serverVersion', filter.serverVersion),
        ),
  );
}

/** A complete GetPolicies envelope. */
export function buildGetPoliciesRequest(input: GetPoliciesRequestInput): string {
  return buildEnvelope({
    action: ACTION.getPolicies,
    to: input.to,
    messageId: input.messageId,
    usernameToken: input.usernameToken,
    now: input.now,
    body: getPoliciesBody(input),
  });
}

export interface ParsedGetPoliciesRequest {
  lastUpdate: Date | null;
  preferredLanguage: string | null;
  requestFilter: RequestFilter | null;
}

function parseOptionalInt(parent: XmlElement, local: string): number | null | undefined {
  const e = child(parent, NS.xcep, local);
  if (!e) return undefined;
  if (isNil(e) || e.text.trim() === '') return null;
  const n = Number(e.text.trim());
  if (!Number.isInteger(n)) throw new ProtocolError(`GetPolicies ${local} is not an integer`, 'XCEP_BAD_VALUE');
  return n;
}

/** Reads an xcep:GetPolicies element (the body of an incoming request). */
export function parseGetPoliciesRequest(body: XmlElement): ParsedGetPoliciesRequest {
  expectElement(body, NS.xcep, 'GetPolicies', 'GetPolicies request');
  const client = child(body, NS.xcep, 'client');
  if (!client || isNil(client)) throw new ProtocolError('GetPolicies request has no client element', 'XCEP_NO_CLIENT');

  let lastUpdate: Date | null = null;
  const last = child(client, NS.xcep, 'lastUpdate');
  if (last && !isNil(last) && last.text.trim() !== '') {
    const text = last.text.trim();
    // xs:dateTime without a zone is local time to the schema; the protocol means GMT.
    const date = new Date(/(Z|[+-]\d\d:\d\d)$/.test(text) ? text : `${text}Z`);
    if (Number.isNaN(date.getTime())) throw new ProtocolError('GetPolicies lastUpdate is not a valid dateTime', 'XCEP_BAD_VALUE');
    lastUpdate = date;
  }
  const language = child(client, NS.xcep, 'preferredLanguage');
  const preferredLanguage = language && !isNil(language) && language.text.trim() !== '' ? language.text.trim() : null;

  let requestFilter: RequestFilter | null = null;
  const filter = child(body, NS.xcep, 'requestFilter');
  if (filter && !isNil(filter) && filter.children.length > 0) {
    requestFilter = {};
    const oids = child(filter, NS.xcep, 'policyOIDs');
    if (oids) requestFilter.policyOids = isNil(oids) ? null : children(oids, NS.xcep, 'oid').map((o) => o.text.trim());
    const clientVersion = parseOptionalInt(filter, 'clientVersion');
    if (clientVersion !== undefined) requestFilter.clientVersion = clientVersion;
    const serverVersion = parseOptionalInt(filter, 'serverVersion');
    if (serverVersion !== undefined) requestFilter.serverVersion = serverVersion;
  }
  return { lastUpdate, preferredLanguage, requestFilter };
}
