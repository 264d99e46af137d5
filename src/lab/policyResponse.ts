// GetPoliciesResponse as a Windows CEP writes it (protocol.md §2.2, §9.2; element order and nil
// elements as in the cepces capture of a real CEP): policies, the CAs with their CES URIs, and the
// OID table the policies point into.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ACTION, NS } from '../protocol/namespaces.js';
import { el } from '../protocol/xmlWriter.js';
import type { XmlNode } from '../protocol/xmlWriter.js';
import { OID, templateInfo } from './ca.js';
import { renderEnvelope } from './soapEnvelope.js';
import type { ResolvedTemplate } from './templates.js';

export interface PolicyCaUri {
  /** 4 = UsernameToken, 8 = TLS client certificate (protocol.md §1.4). */
  clientAuthentication: 4 | 8;
  url: string;
  priority: number;
  renewalOnly: boolean;
}

export interface PolicyCa {
  certDer: Uint8Array;
  uris: PolicyCaUri[];
  /** Template names this CA issues. */
  templates: string[];
}

export interface PolicyInput {
  policyId: string;
  templates: ResolvedTemplate[];
  cas: PolicyCa[];
  relatesTo?: string;
  /** true: the client's lastUpdate is at or after the last policy change. */
  notChanged?: boolean;
}

const OID_NAMES: Record<string, string> = {
  [OID.serverAuth]: 'Server Authentication',
  [OID.clientAuth]: 'Client Authentication',
  [OID.certificateTemplate]: 'Certificate Template Information',
  [OID.extKeyUsage]: 'Enhanced Key Usage',
  [OID.keyUsage]: 'Key Usage',
};

const nil = (name: string): XmlNode => el(name, { 'xsi:nil': 'true' });
const text = (name: string, value: string | number | boolean): XmlNode => el(name, {}, String(value));
const b64 = (der: ArrayBuffer | Uint8Array): string => Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');

export function renderGetPoliciesResponse(input: PolicyInput): string {
  const oids = new OidTable();
  const response = input.notChanged
    ? el('response', {}, text('policyID', input.policyId), el('policyFriendlyName'), text('nextUpdateHours', 8), text('policiesNotChanged', true), nil('policies'))
    : el(
        'response',
        {},
        text('policyID', input.policyId),
        el('policyFriendlyName'),
        text('nextUpdateHours', 8),
        nil('policiesNotChanged'),
        input.templates.length === 0 ? nil('policies') : el('policies', {}, ...input.templates.map((t) => policy(t, input.cas, oids))),
      );
  const body = el(
    'GetPoliciesResponse',
    { xmlns: NS.xcep, 'xmlns:xsi': NS.xsi },
    response,
    input.notChanged || input.cas.length === 0 ? nil('cAs') : el('cAs', {}, ...input.cas.map((ca, index) => caElement(ca, index))),
    input.notChanged ? nil('oIDs') : el('oIDs', {}, ...oids.elements()),
  );
  return renderEnvelope({ action: ACTION.getPoliciesResponse, relatesTo: input.relatesTo, body });
}

function policy(t: ResolvedTemplate, cas: PolicyCa[], oids: OidTable): XmlNode {
  const issuers = cas.map((ca, index) => (ca.templates.includes(t.name) ? index : -1)).filter((i) => i >= 0);
  const ekuDer = new pkijs.ExtKeyUsage({ keyPurposes: t.extendedKeyUsages }).toSchema().toBER(false);
  const kuDer = new asn1js.BitString({ valueHex: new Uint8Array([0xa0]).buffer, unusedBits: 5 }).toBER(false);
  const extensions: Array<[string, boolean, ArrayBuffer]> = [
    [OID.certificateTemplate, false, templateInfo({ oid: t.oid, majorVersion: t.majorVersion, minorVersion: t.minorVersion }).toBER(false)],
    [OID.extKeyUsage, false, ekuDer],
    [OID.keyUsage, true, kuDer],
  ];
  for (const eku of t.extendedKeyUsages) oids.ref(eku, 7);
  return el(
    'policy',
    {},
    text('policyOIDReference', oids.ref(t.oid, 9, t.name)),
    issuers.length === 0 ? nil('cAs') : el('cAs', {}, ...issuers.map((i) => text('cAReference', i))),
    el(
      'attributes',
      {},
      text('commonName', t.name),
      text('policySchema', t.schema),
      el('certificateValidity', {}, text('validityPeriodSeconds', t.validitySeconds), text('renewalPeriodSeconds', t.renewalSeconds)),
      el('permission', {}, text('enroll', true), text('autoEnroll', t.autoEnroll)),
      el(
        'privateKeyAttributes',
        {},
        text('minimalKeyLength', t.minimalKeyLength),
        text('keySpec', 1),
        nil('keyUsageProperty'),
        nil('permissions'),
        nil('algorithmOIDReference'),
        el('cryptoProviders', {}, text('provider', 'Microsoft RSA SChannel Cryptographic Provider')),
      ),
      el('revision', {}, text('majorRevision', t.majorVersion), text('minorRevision', t.minorVersion)),
      t.supersedes.length === 0 ? nil('supersededPolicies') : el('supersededPolicies', {}, ...t.supersedes.map((name) => text('commonName', name))),
      text('privateKeyFlags', t.privateKeyFlags),
      text('subjectNameFlags', t.subjectNameFlags),
      text('enrollmentFlags', t.enrollmentFlags),
      text('generalFlags', t.generalFlags),
      nil('hashAlgorithmOIDReference'),
      nil('rARequirements'),
      nil('keyArchivalAttributes'),
      el(
        'extensions',
        {},
        ...extensions.map(([oid, critical, der]) =>
          el('extension', {}, text('oIDReference', oids.ref(oid, 6)), text('critical', critical), text('value', b64(der))),
        ),
      ),
    ),
  );
}

function caElement(ca: PolicyCa, index: number): XmlNode {
  return el(
    'cA',
    {},
    el(
      'uris',
      {},
      ...ca.uris.map((uri) =>
        el(
          'cAURI',
          {},
          text('clientAuthentication', uri.clientAuthentication),
          text('uri', uri.url),
          text('priority', uri.priority),
          text('renewalOnly', uri.renewalOnly),
        ),
      ),
    ),
    text('certificate', b64(ca.certDer)),
    text('enrollPermission', true),
    text('cAReferenceID', index),
  );
}

class OidTable {
  private readonly entries = new Map<string, { group: number; id: number; name: string }>();

  ref(value: string, group: number, name?: string): number {
    const existing = this.entries.get(`${group}:${value}`);
    if (existing) return existing.id;
    const id = this.entries.size + 1;
    this.entries.set(`${group}:${value}`, { group, id, name: name ?? OID_NAMES[value] ?? value });
    return id;
  }

  elements(): XmlNode[] {
    return [...this.entries].map(([key, entry]) =>
      el('oID', {}, text('value', key.slice(key.indexOf(':') + 1)), text('group', entry.group), text('oIDReferenceID', entry.id), text('defaultName', entry.name)),
    );
  }
}
