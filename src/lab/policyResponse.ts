// GetPoliciesResponse as a Windows CEP writes it (protocol.md §2.2, §9.2; element order and nil
// elements as in the cepces capture of a real CEP): policies, the CAs with their CES URIs, and the
// OID table the policies point into. The lab's templates are mapped into the protocol model and
// written by the protocol's builder (the inverse of the parser the agent uses), so what the lab
// serves is by construction what the agent reads; only the envelope (WCF's ActivityId) is the lab's.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ACTION } from '../protocol/namespaces.js';
import type { PolicyOid, PolicyResponse, ResolvedOid, Template, TemplateExtension } from '../protocol/policyModel.js';
import { authenticationName } from '../protocol/policyModel.js';
import { decodeEnrollmentFlags, decodeGeneralFlags, decodePrivateKeyFlags, decodeSubjectNameFlags } from '../protocol/templateFlags.js';
import { getPoliciesResponseBody } from '../protocol/xcepResponseBuilder.js';
import { OID, templateInfo } from './ca.js';
import { renderEnvelope } from './soapEnvelope.js';
import type { ResolvedTemplate } from './templates.js';

export interface PolicyCaUri {
  /** 4 = UsernameToken, 8 = TLS client certificate (protocol.md §1.4). */
  clientAuthentication: 2 | 4 | 8;
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

// What a Windows CEP sends for every lab template: an empty friendly name (not nil), 8 hours.
const POLICY_FRIENDLY_NAME = '';
const NEXT_UPDATE_HOURS = 8;
const CRYPTO_PROVIDER = 'Microsoft RSA SChannel Cryptographic Provider';
const AT_KEYEXCHANGE = 1;

export function renderGetPoliciesResponse(input: PolicyInput): string {
  return renderEnvelope({ action: ACTION.getPoliciesResponse, relatesTo: input.relatesTo, body: getPoliciesResponseBody(labPolicyModel(input)) });
}

/**
 * The lab's answer as the protocol model: what the agent's parser reads back from the wire, except
 * the empty policyFriendlyName, which the parser reads as null.
 */
export function labPolicyModel(input: PolicyInput): PolicyResponse {
  const head = { policyId: input.policyId, policyFriendlyName: POLICY_FRIENDLY_NAME, nextUpdateHours: NEXT_UPDATE_HOURS };
  if (input.notChanged) return { ...head, policiesNotChanged: true, templates: [], cas: [], oids: [] };
  const oids = new OidTable();
  const templates = input.templates.map((t) => template(t, input.cas, oids));
  return {
    ...head,
    policiesNotChanged: null,
    templates,
    cas: input.cas.map((ca, index) => ({
      referenceId: index,
      certificateDer: ca.certDer,
      enrollPermission: true,
      enrollmentUris: ca.uris.map((uri) => ({
        uri: uri.url,
        clientAuthentication: uri.clientAuthentication,
        authentication: authenticationName(uri.clientAuthentication),
        priority: uri.priority,
        renewalOnly: uri.renewalOnly,
      })),
    })),
    oids: oids.entries(),
  };
}

function template(t: ResolvedTemplate, cas: PolicyCa[], oids: OidTable): Template {
  const issuers = cas.map((ca, index) => (ca.templates.includes(t.name) ? index : -1)).filter((i) => i >= 0);
  const ekuDer = new pkijs.ExtKeyUsage({ keyPurposes: t.extendedKeyUsages }).toSchema().toBER(false);
  const kuDer = new asn1js.BitString({ valueHex: new Uint8Array([0xa0]).buffer, unusedBits: 5 }).toBER(false);
  // Reference IDs are handed out in first-use order: the EKUs, the template, then its extensions.
  for (const eku of t.extendedKeyUsages) oids.ref(eku, 7);
  const templateRef = oids.ref(t.oid, 9, t.name);
  const extensions: TemplateExtension[] = (
    [
      [OID.certificateTemplate, false, templateInfo({ oid: t.oid, majorVersion: t.majorVersion, minorVersion: t.minorVersion }).toBER(false)],
      [OID.extKeyUsage, false, ekuDer],
      [OID.keyUsage, true, kuDer],
    ] as const
  ).map(([oid, critical, der]) => ({ oid, name: OID_NAMES[oid] ?? null, oidReference: oids.ref(oid, 6), critical, valueDer: new Uint8Array(der) }));
  return {
    commonName: t.name,
    oidReference: templateRef,
    oid: oids.resolve(t.oid, 9),
    schemaVersion: t.schema,
    validitySeconds: t.validitySeconds,
    renewalSeconds: t.renewalSeconds,
    permission: { enroll: true, autoEnroll: t.autoEnroll },
    keyRequirements: { minimalKeyLength: t.minimalKeyLength, keySpec: AT_KEYEXCHANGE, keyUsageProperty: null, permissions: null, algorithmOid: null, cryptoProviders: [CRYPTO_PROVIDER] },
    revision: { major: t.majorVersion, minor: t.minorVersion },
    supersededTemplates: t.supersedes,
    privateKeyFlags: t.privateKeyFlags,
    subjectNameFlags: t.subjectNameFlags,
    enrollmentFlags: t.enrollmentFlags,
    generalFlags: t.generalFlags,
    flags: {
      privateKey: decodePrivateKeyFlags(t.privateKeyFlags),
      subjectName: decodeSubjectNameFlags(t.subjectNameFlags),
      enrollment: decodeEnrollmentFlags(t.enrollmentFlags),
      general: decodeGeneralFlags(t.generalFlags),
    },
    hashAlgorithmOid: null,
    rARequirements: null,
    keyArchival: null,
    extensions,
    caReferences: issuers,
  };
}

class OidTable {
  private readonly byKey = new Map<string, PolicyOid>();

  ref(value: string, group: number, name?: string): number {
    const key = `${group}:${value}`;
    const existing = this.byKey.get(key);
    if (existing) return existing.referenceId;
    const referenceId = this.byKey.size + 1;
    this.byKey.set(key, { referenceId, value, group, defaultName: name ?? OID_NAMES[value] ?? value });
    return referenceId;
  }

  resolve(value: string, group: number): ResolvedOid | null {
    const entry = this.byKey.get(`${group}:${value}`);
    return entry ? { value: entry.value, defaultName: entry.defaultName, group: entry.group } : null;
  }

  entries(): PolicyOid[] {
    return [...this.byKey.values()];
  }
}
