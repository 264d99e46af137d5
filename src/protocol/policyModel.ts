// The typed model of an MS-XCEP GetPoliciesResponse (protocol.md §2.2). Wire names stay at the
// edge (xcepResponse.ts); here names are plain and carry units. Absent and xsi:nil values are null.
import type { EnrollmentFlags, GeneralFlags, PrivateKeyFlags, SubjectNameFlags } from './templateFlags.js';

/** An oID entry of the response. */
export interface PolicyOid {
  referenceId: number;
  value: string;
  /** 1 hash, 2 encryption, 3 public key, 4 signing, 5 RDN, 6 extension/attribute, 7 EKU, 8 cert policy, 9 template. */
  group: number | null;
  defaultName: string | null;
}

/** An OID reference resolved through the response's oIDs. */
export interface ResolvedOid {
  value: string;
  defaultName: string | null;
  group: number | null;
}

export type AuthenticationName = 'anonymous' | 'kerberos' | 'username' | 'certificate' | 'unknown';

/** clientAuthentication numbers of MS-XCEP §3.1.4.1.3.5 (also field 2 of msPKI-Enrollment-Servers). */
export const AUTHENTICATION_NAMES: Readonly<Record<number, AuthenticationName>> = { 1: 'anonymous', 2: 'kerberos', 4: 'username', 8: 'certificate' };

export function authenticationName(value: number): AuthenticationName {
  return AUTHENTICATION_NAMES[value] ?? 'unknown';
}

export interface EnrollmentUri {
  uri: string;
  /** 1 anonymous, 2 Kerberos, 4 username/password, 8 TLS client certificate. */
  clientAuthentication: number;
  authentication: AuthenticationName;
  /** Lower is preferred; equal values are equal preference; null = none given. */
  priority: number | null;
  /** True: the endpoint accepts only renewals (the key-based renewal CES). */
  renewalOnly: boolean;
}

export interface CertificationAuthority {
  /** cAReferenceID, which templates' caReferences point to. */
  referenceId: number;
  certificateDer: Uint8Array;
  enrollPermission: boolean;
  enrollmentUris: EnrollmentUri[];
}

export interface TemplateExtension {
  /** Dotted OID resolved through oIDReference; null when the reference does not resolve. */
  oid: string | null;
  name: string | null;
  oidReference: number;
  critical: boolean;
  /** DER of the extension value (the extnValue contents). */
  valueDer: Uint8Array;
}

export interface KeyRequirements {
  minimalKeyLength: number | null;
  /** 1 AT_KEYEXCHANGE, 2 AT_SIGNATURE. */
  keySpec: number | null;
  keyUsageProperty: number | null;
  /** SDDL for the private key ACL (Windows meaning only). */
  permissions: string | null;
  /** Public key algorithm (group 3); null = RSA by Windows convention. */
  algorithmOid: ResolvedOid | null;
  cryptoProviders: string[];
}

export interface RaRequirements {
  signatures: number | null;
  ekus: ResolvedOid[];
  policies: ResolvedOid[];
}

export interface KeyArchival {
  symmetricAlgorithmOid: ResolvedOid | null;
  symmetricKeyLength: number | null;
}

export interface Template {
  commonName: string;
  /** The policyOIDReference as sent. */
  oidReference: number | null;
  /** The template OID (group 9), or null when the reference does not resolve. */
  oid: ResolvedOid | null;
  schemaVersion: number | null;
  validitySeconds: number | null;
  /** Time before expiry in which to renew (pKIOverlapPeriod). */
  renewalSeconds: number | null;
  permission: { enroll: boolean; autoEnroll: boolean };
  keyRequirements: KeyRequirements;
  revision: { major: number | null; minor: number | null };
  supersededTemplates: string[];
  /** Raw flag words as sent (0 when absent or nil). */
  privateKeyFlags: number;
  subjectNameFlags: number;
  enrollmentFlags: number;
  generalFlags: number;
  /** The same words decoded into named booleans (MS-CRTD tables). */
  flags: {
    privateKey: PrivateKeyFlags;
    subjectName: SubjectNameFlags;
    enrollment: EnrollmentFlags;
    general: GeneralFlags;
  };
  hashAlgorithmOid: ResolvedOid | null;
  rARequirements: RaRequirements | null;
  keyArchival: KeyArchival | null;
  extensions: TemplateExtension[];
  /** cAReference IDs as sent (see casForTemplate). Empty = no issuer for this template. */
  caReferences: number[];
}

export interface PolicyResponse {
  policyId: string;
  policyFriendlyName: string | null;
  nextUpdateHours: number | null;
  /** true: unchanged since the client's lastUpdate (templates, cas and oids are then usually empty). */
  policiesNotChanged: boolean | null;
  templates: Template[];
  cas: CertificationAuthority[];
  oids: PolicyOid[];
}

/** The CAs a template may be enrolled at, in the order the template lists them. */
export function casForTemplate(response: PolicyResponse, template: Template): CertificationAuthority[] {
  const out: CertificationAuthority[] = [];
  for (const id of template.caReferences) {
    const ca = response.cas.find((c) => c.referenceId === id);
    if (ca) out.push(ca);
  }
  return out;
}

/** A template by common name or by OID value. */
export function findTemplate(response: PolicyResponse, nameOrOid: string): Template | undefined {
  return response.templates.find((t) => t.commonName === nameOrOid) ?? response.templates.find((t) => t.oid?.value === nameOrOid);
}
