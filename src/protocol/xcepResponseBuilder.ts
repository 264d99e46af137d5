// PolicyResponse → GetPoliciesResponse XML: the inverse of xcepResponse.ts, element order as in the
// MS-XCEP schema. Used to generate test and benchmark inputs and to prove the parser reads every
// field (parse(build(x)) == x).
import { ProtocolError } from '../errors.js';
import { encodeBase64 } from './base64.js';
import { ACTION, NS } from './namespaces.js';
import type { PolicyResponse, ResolvedOid, Template } from './policyModel.js';
import { el, renderXml } from './xmlWriter.js';
import type { XmlNode } from './xmlWriter.js';

const nil = { 'xsi:nil': 'true' };

function num(name: string, value: number | null): XmlNode {
  return value === null ? el(name, nil) : el(name, {}, String(value));
}
function text(name: string, value: string | null): XmlNode {
  return value === null ? el(name, nil) : el(name, {}, value);
}
function bool(name: string, value: boolean | null): XmlNode {
  return value === null ? el(name, nil) : el(name, {}, value ? 'true' : 'false');
}

function refFinder(response: PolicyResponse): (oid: ResolvedOid | null, what: string) => number | null {
  return (oid, what) => {
    if (oid === null) return null;
    const found = response.oids.find((o) => o.value === oid.value && o.group === oid.group);
    if (!found) throw new ProtocolError(`${what} ${oid.value} is not among the response oIDs`, 'XCEP_UNKNOWN_OID');
    return found.referenceId;
  };
}

function policy(t: Template, ref: ReturnType<typeof refFinder>): XmlNode {
  const k = t.keyRequirements;
  return el(
    'policy',
    {},
    num('policyOIDReference', t.oidReference),
    t.caReferences.length === 0 ? el('cAs', nil) : el('cAs', {}, ...t.caReferences.map((id) => el('cAReference', {}, String(id)))),
    el(
      'attributes',
      {},
      el('commonName', {}, t.commonName),
      num('policySchema', t.schemaVersion),
      el('certificateValidity', {}, num('validityPeriodSeconds', t.validitySeconds), num('renewalPeriodSeconds', t.renewalSeconds)),
      el('permission', {}, bool('enroll', t.permission.enroll), bool('autoEnroll', t.permission.autoEnroll)),
      el(
        'privateKeyAttributes',
        {},
        num('minimalKeyLength', k.minimalKeyLength),
        num('keySpec', k.keySpec),
        num('keyUsageProperty', k.keyUsageProperty),
        text('permissions', k.permissions),
        num('algorithmOIDReference', ref(k.algorithmOid, 'algorithmOID')),
        k.cryptoProviders.length === 0 ? el('cryptoProviders', nil) : el('cryptoProviders', {}, ...k.cryptoProviders.map((p) => el('provider', {}, p))),
      ),
      el('revision', {}, num('majorRevision', t.revision.major), num('minorRevision', t.revision.minor)),
      t.supersededTemplates.length === 0 ? el('supersededPolicies', nil) : el('supersededPolicies', {}, ...t.supersededTemplates.map((c) => el('commonName', {}, c))),
      num('privateKeyFlags', t.privateKeyFlags),
      num('subjectNameFlags', t.subjectNameFlags),
      num('enrollmentFlags', t.enrollmentFlags),
      num('generalFlags', t.generalFlags),
      num('hashAlgorithmOIDReference', ref(t.hashAlgorithmOid, 'hashAlgorithmOID')),
      t.rARequirements === null
        ? el('rARequirements', nil)
        : el(
            'rARequirements',
            {},
            num('rASignatures', t.rARequirements.signatures),
            t.rARequirements.ekus.length === 0 ? el('rAEKUs', nil) : el('rAEKUs', {}, ...t.rARequirements.ekus.map((o) => num('oIDReference', ref(o, 'rAEKU')))),
            t.rARequirements.policies.length === 0 ? el('rAPolicies', nil) : el('rAPolicies', {}, ...t.rARequirements.policies.map((o) => num('oIDReference', ref(o, 'rAPolicy')))),
          ),
      t.keyArchival === null
        ? el('keyArchivalAttributes', nil)
        : el(
            'keyArchivalAttributes',
            {},
            num('symmetricAlgorithmOIDReference', ref(t.keyArchival.symmetricAlgorithmOid, 'symmetricAlgorithmOID')),
            num('symmetricAlgorithmKeyLength', t.keyArchival.symmetricKeyLength),
          ),
      t.extensions.length === 0
        ? el('extensions', nil)
        : el(
            'extensions',
            {},
            ...t.extensions.map((e) => el('extension', {}, el('oIDReference', {}, String(e.oidReference)), bool('critical', e.critical), el('value', {}, encodeBase64(e.valueDer)))),
          ),
    ),
  );
}

/** The xcep:GetPoliciesResponse element (binds its own default namespace and xsi). */
export function getPoliciesResponseBody(response: PolicyResponse): XmlNode {
  const ref = refFinder(response);
  const notChanged = response.policiesNotChanged === true && response.templates.length === 0;
  return el(
    'GetPoliciesResponse',
    { xmlns: NS.xcep, 'xmlns:xsi': NS.xsi },
    el(
      'response',
      {},
      el('policyID', {}, response.policyId),
      text('policyFriendlyName', response.policyFriendlyName),
      num('nextUpdateHours', response.nextUpdateHours),
      bool('policiesNotChanged', response.policiesNotChanged),
      notChanged || response.templates.length === 0 ? el('policies', nil) : el('policies', {}, ...response.templates.map((t) => policy(t, ref))),
    ),
    response.cas.length === 0
      ? el('cAs', nil)
      : el(
          'cAs',
          {},
          ...response.cas.map((ca) =>
            el(
              'cA',
              {},
              el(
                'uris',
                {},
                ...ca.enrollmentUris.map((u) =>
                  el('cAURI', {}, el('clientAuthentication', {}, String(u.clientAuthentication)), el('uri', {}, u.uri), num('priority', u.priority), bool('renewalOnly', u.renewalOnly)),
                ),
              ),
              el('certificate', {}, encodeBase64(ca.certificateDer)),
              bool('enrollPermission', ca.enrollPermission),
              el('cAReferenceID', {}, String(ca.referenceId)),
            ),
          ),
        ),
    response.oids.length === 0
      ? el('oIDs', nil)
      : el(
          'oIDs',
          {},
          ...response.oids.map((o) => el('oID', {}, el('value', {}, o.value), num('group', o.group), el('oIDReferenceID', {}, String(o.referenceId)), text('defaultName', o.defaultName))),
        ),
  );
}

/** A full SOAP 1.2 GetPoliciesResponse envelope as a CEP sends it. */
export function buildGetPoliciesResponse(response: PolicyResponse, options: { relatesTo?: string } = {}): string {
  return renderXml(
    el(
      's:Envelope',
      { 'xmlns:s': NS.soap, 'xmlns:a': NS.wsa },
      el('s:Header', {}, el('a:Action', { 's:mustUnderstand': '1' }, ACTION.getPoliciesResponse), options.relatesTo !== undefined && el('a:RelatesTo', {}, options.relatesTo)),
      el('s:Body', {}, getPoliciesResponseBody(response)),
    ),
  );
}
