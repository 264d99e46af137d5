// MS-XCEP GetPoliciesResponse → PolicyResponse (protocol.md §2.2). Accepts a full SOAP envelope
// or a bare GetPoliciesResponse element (logged payloads, saved files). Lenient where real servers
// differ from the schema (missing optional elements, nil in non-nillable places, unresolvable OID
// references); strict where a wrong value would mislead (bad numbers, booleans, base64, namespaces).
import { ProtocolError } from '../errors.js';
import { decodeBase64 } from './base64.js';
import { ACTION, NS } from './namespaces.js';
import type { CertificationAuthority, EnrollmentUri, PolicyOid, PolicyResponse, ResolvedOid, Template, TemplateExtension } from './policyModel.js';
import { authenticationName } from './policyModel.js';
import { expectAction, parseEnvelope } from './soap.js';
import { faultToError, parseSoapFault } from './soapFault.js';
import { decodeEnrollmentFlags, decodeGeneralFlags, decodePrivateKeyFlags, decodeSubjectNameFlags } from './templateFlags.js';
import { child, children, isNil } from './xml.js';
import type { XmlElement, XmlLimits } from './xml.js';

const X = NS.xcep;

function value(parent: XmlElement | undefined, local: string): string | null {
  const e = child(parent, X, local);
  if (!e || isNil(e)) return null;
  return e.text.trim();
}

function where(parent: XmlElement | undefined, local: string): string {
  return parent?.line !== undefined ? `${local} (line ${parent.line})` : local;
}

function toInt(text: string | null, what: string): number | null {
  if (text === null || text === '') return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ProtocolError(`GetPoliciesResponse ${what} is not an integer: "${text.slice(0, 40)}"`, 'XCEP_BAD_VALUE');
  return n;
}

function int(parent: XmlElement | undefined, local: string): number | null {
  return toInt(value(parent, local), where(parent, local));
}

function bool(parent: XmlElement | undefined, local: string): boolean | null {
  const text = value(parent, local);
  if (text === null || text === '') return null;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ProtocolError(`GetPoliciesResponse ${where(parent, local)} is not a boolean: "${text.slice(0, 40)}"`, 'XCEP_BAD_VALUE');
}

type OidIndex = Map<number, PolicyOid>;

function resolve(index: OidIndex, ref: number | null): ResolvedOid | null {
  if (ref === null) return null;
  const oid = index.get(ref);
  return oid ? { value: oid.value, defaultName: oid.defaultName, group: oid.group } : null;
}

function parseOids(oidsEl: XmlElement | undefined): PolicyOid[] {
  if (!oidsEl || isNil(oidsEl)) return [];
  return children(oidsEl, X, 'oID').map((o) => {
    const referenceId = int(o, 'oIDReferenceID');
    const oidValue = value(o, 'value');
    if (referenceId === null || !oidValue) throw new ProtocolError(`GetPoliciesResponse ${where(o, 'oID')} lacks value or oIDReferenceID`, 'XCEP_MISSING_ELEMENT');
    return { referenceId, value: oidValue, group: int(o, 'group'), defaultName: value(o, 'defaultName') };
  });
}

function parseCas(casEl: XmlElement | undefined): CertificationAuthority[] {
  if (!casEl || isNil(casEl)) return [];
  return children(casEl, X, 'cA').map((ca) => {
    const referenceId = int(ca, 'cAReferenceID');
    if (referenceId === null) throw new ProtocolError(`GetPoliciesResponse ${where(ca, 'cA')} has no cAReferenceID`, 'XCEP_MISSING_ELEMENT');
    const certText = value(ca, 'certificate');
    if (!certText) throw new ProtocolError(`GetPoliciesResponse CA ${referenceId} has no certificate`, 'XCEP_MISSING_ELEMENT');
    const enrollmentUris: EnrollmentUri[] = children(child(ca, X, 'uris'), X, 'cAURI').map((u) => {
      const uri = value(u, 'uri');
      if (!uri) throw new ProtocolError(`GetPoliciesResponse CA ${referenceId} has a cAURI without uri`, 'XCEP_MISSING_ELEMENT');
      const clientAuthentication = int(u, 'clientAuthentication') ?? 0;
      return { uri, clientAuthentication, authentication: authenticationName(clientAuthentication), priority: int(u, 'priority'), renewalOnly: bool(u, 'renewalOnly') ?? false };
    });
    return {
      referenceId,
      certificateDer: decodeBase64(certText, `certificate of CA ${referenceId}`),
      enrollPermission: bool(ca, 'enrollPermission') ?? false,
      enrollmentUris,
    };
  });
}

function oidRefs(parent: XmlElement | undefined, index: OidIndex): ResolvedOid[] {
  if (!parent || isNil(parent)) return [];
  const out: ResolvedOid[] = [];
  for (const r of children(parent, X, 'oIDReference')) {
    const resolved = resolve(index, isNil(r) ? null : toInt(r.text.trim(), where(parent, 'oIDReference')));
    if (resolved) out.push(resolved);
  }
  return out;
}

function parseTemplate(policy: XmlElement, index: OidIndex): Template {
  const a = child(policy, X, 'attributes');
  if (!a || isNil(a)) throw new ProtocolError(`GetPoliciesResponse ${where(policy, 'policy')} has no attributes`, 'XCEP_MISSING_ELEMENT');
  const commonName = value(a, 'commonName');
  if (!commonName) throw new ProtocolError(`GetPoliciesResponse ${where(policy, 'policy')} has no commonName`, 'XCEP_MISSING_ELEMENT');
  const oidReference = int(policy, 'policyOIDReference');
  const validity = child(a, X, 'certificateValidity');
  const permission = child(a, X, 'permission');
  const key = child(a, X, 'privateKeyAttributes');
  const revision = child(a, X, 'revision');
  const providers = child(key, X, 'cryptoProviders');
  const superseded = child(a, X, 'supersededPolicies');
  const ra = child(a, X, 'rARequirements');
  const archival = child(a, X, 'keyArchivalAttributes');
  const privateKeyFlags = (int(a, 'privateKeyFlags') ?? 0) >>> 0;
  const subjectNameFlags = (int(a, 'subjectNameFlags') ?? 0) >>> 0;
  const enrollmentFlags = (int(a, 'enrollmentFlags') ?? 0) >>> 0;
  const generalFlags = (int(a, 'generalFlags') ?? 0) >>> 0;
  const extensionsEl = child(a, X, 'extensions');
  const extensions: TemplateExtension[] = isNil(extensionsEl)
    ? []
    : children(extensionsEl, X, 'extension').map((e) => {
        const ref = int(e, 'oIDReference');
        if (ref === null) throw new ProtocolError(`GetPoliciesResponse ${where(e, 'extension')} of ${commonName} has no oIDReference`, 'XCEP_MISSING_ELEMENT');
        const resolved = resolve(index, ref);
        const v = value(e, 'value');
        return {
          oid: resolved?.value ?? null,
          name: resolved?.defaultName ?? null,
          oidReference: ref,
          critical: bool(e, 'critical') ?? false,
          valueDer: v ? decodeBase64(v, `extension value in template ${commonName}`) : new Uint8Array(0),
        };
      });
  const casEl = child(policy, X, 'cAs');
  const caReferences: number[] = [];
  if (casEl && !isNil(casEl)) {
    for (const r of children(casEl, X, 'cAReference')) {
      const n = toInt(r.text.trim(), `cAReference of ${commonName}`);
      if (n !== null) caReferences.push(n);
    }
  }
  return {
    commonName,
    oidReference,
    oid: resolve(index, oidReference),
    schemaVersion: int(a, 'policySchema'),
    validitySeconds: int(validity, 'validityPeriodSeconds'),
    renewalSeconds: int(validity, 'renewalPeriodSeconds'),
    permission: { enroll: bool(permission, 'enroll') ?? false, autoEnroll: bool(permission, 'autoEnroll') ?? false },
    keyRequirements: {
      minimalKeyLength: int(key, 'minimalKeyLength'),
      keySpec: int(key, 'keySpec'),
      keyUsageProperty: int(key, 'keyUsageProperty'),
      permissions: value(key, 'permissions'),
      algorithmOid: resolve(index, int(key, 'algorithmOIDReference')),
      cryptoProviders: isNil(providers) ? [] : children(providers, X, 'provider').map((p) => p.text.trim()),
    },
    revision: { major: int(revision, 'majorRevision'), minor: int(revision, 'minorRevision') },
    supersededTemplates: isNil(superseded) ? [] : children(superseded, X, 'commonName').map((c) => c.text.trim()),
    privateKeyFlags,
    subjectNameFlags,
    enrollmentFlags,
    generalFlags,
    flags: {
      privateKey: decodePrivateKeyFlags(privateKeyFlags),
      subjectName: decodeSubjectNameFlags(subjectNameFlags),
      enrollment: decodeEnrollmentFlags(enrollmentFlags),
      general: decodeGeneralFlags(generalFlags),
    },
    hashAlgorithmOid: resolve(index, int(a, 'hashAlgorithmOIDReference')),
    rARequirements:
      !ra || isNil(ra)
        ? null
        : { signatures: int(ra, 'rASignatures'), ekus: oidRefs(child(ra, X, 'rAEKUs'), index), policies: oidRefs(child(ra, X, 'rAPolicies'), index) },
    keyArchival:
      !archival || isNil(archival)
        ? null
        : { symmetricAlgorithmOid: resolve(index, int(archival, 'symmetricAlgorithmOIDReference')), symmetricKeyLength: int(archival, 'symmetricAlgorithmKeyLength') },
    extensions,
    caReferences,
  };
}

/**
 * Parses a GetPoliciesResponse (full envelope or bare element, as text, bytes or an already parsed
 * tree). A SOAP fault is thrown as its mapped error (faultToError).
 */
export function parseGetPoliciesResponse(input: string | Uint8Array | XmlElement, options: { limits?: XmlLimits; endpoint?: string } = {}): PolicyResponse {
  const envelope = parseEnvelope(input, { allowBare: true, limits: options.limits });
  const root = envelope.payload;
  if (root.local === 'Fault' && root.ns === NS.soap) throw faultToError(parseSoapFault(root, envelope.action), options.endpoint);
  if (root.local !== 'GetPoliciesResponse' || root.ns !== X) {
    throw new ProtocolError(`expected {${X}}GetPoliciesResponse, found {${root.ns}}${root.local}`, 'XML_UNEXPECTED_ELEMENT');
  }
  expectAction(envelope.action, [ACTION.getPoliciesResponse], 'GetPoliciesResponse');
  const response = child(root, X, 'response');
  if (!response || isNil(response)) throw new ProtocolError('GetPoliciesResponse has no response element', 'XCEP_MISSING_ELEMENT');
  const policyId = value(response, 'policyID');
  if (!policyId) throw new ProtocolError('GetPoliciesResponse has no policyID', 'XCEP_MISSING_ELEMENT');

  const oids = parseOids(child(root, X, 'oIDs'));
  const index: OidIndex = new Map(oids.map((o) => [o.referenceId, o]));
  const policies = child(response, X, 'policies');
  const templates = !policies || isNil(policies) ? [] : children(policies, X, 'policy').map((p) => parseTemplate(p, index));
  const friendly = value(response, 'policyFriendlyName');
  return {
    policyId,
    policyFriendlyName: friendly === '' ? null : friendly,
    nextUpdateHours: int(response, 'nextUpdateHours'),
    policiesNotChanged: bool(response, 'policiesNotChanged'),
    templates,
    cas: parseCas(child(root, X, 'cAs')),
    oids,
  };
}
