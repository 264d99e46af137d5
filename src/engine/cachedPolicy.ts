// The enrollment policy as the agent keeps it (protocol.md §2.4): per policyID, one contribution per
// policy server that answered, merged into one view. Pure.
//
// Why per source: in a key-based-renewal deployment the certificate CEP returns only the KBR
// templates and the renewal-only certificate CES, the username CEP the username CES (protocol.md
// §5.1, §0). Both share one policyID, so what each taught us is kept side by side; a refetch
// from one server replaces only its own contribution, so an endpoint the server stopped
// publishing disappears instead of lingering forever.
import { X509Certificate, createHash } from 'node:crypto';
import type { PolicyServerAuth } from '../config/types.js';
import { casForTemplate } from '../protocol/policyModel.js';
import type { PolicyResponse, Template } from '../protocol/policyModel.js';
import { certificatePem } from '../pki/pem.js';

export const POLICY_CACHE_SCHEMA_VERSION = 1 as const;

export interface CachedEnrollmentUri {
  uri: string;
  /** 1 anonymous, 2 Kerberos, 4 username/password, 8 TLS client certificate. */
  clientAuthentication: number;
  priority: number | null;
  renewalOnly: boolean;
}

export interface CachedCa {
  /** SHA-1 of the CA certificate (upper-case hex): stable across responses, unlike cAReferenceID. */
  id: string;
  certPem: string;
  enrollPermission: boolean;
  uris: CachedEnrollmentUri[];
  /** Set when the certificate is not readable as X.509: the CA is unusable (no request goes to it). */
  invalid?: string;
}

export interface CachedTemplate {
  commonName: string;
  oid: string | null;
  validitySeconds: number | null;
  renewalSeconds: number | null;
  majorRevision: number | null;
  minorRevision: number | null;
  privateKeyFlags: number;
  subjectNameFlags: number;
  enrollmentFlags: number;
  generalFlags: number;
  minimalKeyLength: number | null;
  /** Public key algorithm OID; null = RSA by Windows convention. */
  keyAlgorithmOid: string | null;
  supersededTemplates: string[];
  enroll: boolean;
  autoEnroll: boolean;
  /** Extensions the template asks for (OID, critical, value DER in base64). */
  extensions: { oid: string; critical: boolean; valueBase64: string }[];
  /** CachedCa ids that issue it. */
  caIds: string[];
}

export interface PolicyContribution {
  /** The CEP URL that answered. */
  url: string;
  auth: PolicyServerAuth;
  /** ISO 8601 of the last good answer from this server (sent back as lastUpdate). */
  fetchedAt: string;
  nextUpdateHours: number | null;
  friendlyName: string | null;
  templates: CachedTemplate[];
  cas: CachedCa[];
}

/** stateDir/policy/<policyID>.json */
export interface CachedPolicyFile {
  schemaVersion: typeof POLICY_CACHE_SCHEMA_VERSION;
  policyId: string;
  sources: PolicyContribution[];
  /** Refreshes that failed on every server since the last good one (drives the retry backoff). */
  consecutiveFailures: number;
  lastAttemptAt?: string;
}

/** The merged view the planner input and the executor read. */
export interface PolicyView {
  policyId: string;
  friendlyName: string | null;
  templates: CachedTemplate[];
  cas: CachedCa[];
  fetchedAtMs: number;
  nextUpdateAtMs: number | undefined;
  consecutiveFailures: number;
  lastAttemptAtMs: number | undefined;
  /** Server URLs that contributed. */
  sources: string[];
}

export function caIdOf(certDer: Uint8Array): string {
  return createHash('sha1').update(certDer).digest('hex').toUpperCase();
}

function cachedTemplate(response: PolicyResponse, template: Template): CachedTemplate {
  return {
    commonName: template.commonName,
    oid: template.oid?.value ?? null,
    validitySeconds: template.validitySeconds,
    renewalSeconds: template.renewalSeconds,
    majorRevision: template.revision.major,
    minorRevision: template.revision.minor,
    privateKeyFlags: template.privateKeyFlags,
    subjectNameFlags: template.subjectNameFlags,
    enrollmentFlags: template.enrollmentFlags,
    generalFlags: template.generalFlags,
    minimalKeyLength: template.keyRequirements.minimalKeyLength,
    keyAlgorithmOid: template.keyRequirements.algorithmOid?.value ?? null,
    supersededTemplates: [...template.supersededTemplates],
    enroll: template.permission.enroll,
    autoEnroll: template.permission.autoEnroll,
    extensions: template.extensions
      .filter((e) => e.oid !== null)
      .map((e) => ({ oid: e.oid as string, critical: e.critical, valueBase64: Buffer.from(e.valueDer).toString('base64') })),
    caIds: casForTemplate(response, template).map((ca) => caIdOf(ca.certificateDer)),
  };
}

/** One server's answer as a contribution. */
export function contributionOf(
  response: PolicyResponse,
  source: { url: string; auth: PolicyServerAuth },
  fetchedAtMs: number,
): PolicyContribution {
  return {
    url: source.url,
    auth: source.auth,
    fetchedAt: new Date(fetchedAtMs).toISOString(),
    nextUpdateHours: response.nextUpdateHours,
    friendlyName: response.policyFriendlyName,
    templates: response.templates.map((t) => cachedTemplate(response, t)),
    cas: response.cas.map((ca) => {
      const invalid = x509Problem(ca.certificateDer);
      return {
        id: caIdOf(ca.certificateDer),
        certPem: certificatePem(ca.certificateDer),
        enrollPermission: ca.enrollPermission,
        uris: ca.enrollmentUris.map((u) => ({ uri: u.uri, clientAuthentication: u.clientAuthentication, priority: u.priority, renewalOnly: u.renewalOnly })),
        ...(invalid !== undefined ? { invalid } : {}),
      };
    }),
  };
}

/** Why a policy's CA certificate is unusable (not readable as X.509), or undefined. */
export function x509Problem(der: Uint8Array): string | undefined {
  try {
    new X509Certificate(der);
    return undefined;
  } catch (error) {
    return `not readable as X.509 (${(error as Error).message})`;
  }
}

/** Replaces (or adds) the contribution of `contribution.url`. */
export function withContribution(file: CachedPolicyFile, contribution: PolicyContribution): CachedPolicyFile {
  return {
    ...file,
    sources: [...file.sources.filter((s) => s.url !== contribution.url), contribution],
    consecutiveFailures: 0,
  };
}

/** "policiesNotChanged": the server's contribution stays, only its fetch time moves on. */
export function touchContribution(file: CachedPolicyFile, url: string, fetchedAtMs: number, nextUpdateHours: number | null): CachedPolicyFile {
  return {
    ...file,
    sources: file.sources.map((s) =>
      s.url === url ? { ...s, fetchedAt: new Date(fetchedAtMs).toISOString(), nextUpdateHours: nextUpdateHours ?? s.nextUpdateHours } : s,
    ),
    consecutiveFailures: 0,
  };
}

const templateKey = (t: CachedTemplate): string => t.oid ?? `cn:${t.commonName}`;

/** Merges the contributions: newer answers win for template attributes; CAs and URIs are united. */
export function mergePolicy(file: CachedPolicyFile): PolicyView {
  const ordered = [...file.sources].sort((a, b) => Date.parse(a.fetchedAt) - Date.parse(b.fetchedAt));
  const templates = new Map<string, CachedTemplate>();
  const cas = new Map<string, CachedCa>();
  for (const source of ordered) {
    for (const template of source.templates) {
      const key = templateKey(template);
      const before = templates.get(key);
      templates.set(key, { ...template, caIds: [...new Set([...(before?.caIds ?? []), ...template.caIds])] });
    }
    for (const ca of source.cas) {
      const before = cas.get(ca.id);
      const uris = new Map((before?.uris ?? []).map((u) => [u.uri, u]));
      for (const uri of ca.uris) uris.set(uri.uri, uri);
      cas.set(ca.id, { ...ca, enrollPermission: ca.enrollPermission || (before?.enrollPermission ?? false), uris: [...uris.values()] });
    }
  }
  const newest = ordered[ordered.length - 1];
  const fetchedAtMs = newest ? Date.parse(newest.fetchedAt) : 0;
  const hours = newest?.nextUpdateHours;
  return {
    policyId: file.policyId,
    friendlyName: newest?.friendlyName ?? null,
    templates: [...templates.values()],
    cas: [...cas.values()],
    fetchedAtMs,
    nextUpdateAtMs: hours !== null && hours !== undefined && hours > 0 ? fetchedAtMs + hours * 3_600_000 : undefined,
    consecutiveFailures: file.consecutiveFailures,
    lastAttemptAtMs: file.lastAttemptAt ? Date.parse(file.lastAttemptAt) : undefined,
    sources: ordered.map((s) => s.url),
  };
}

/** A template of the view by common name, else by OID. */
export function findPolicyTemplate(view: PolicyView, nameOrOid: string): CachedTemplate | undefined {
  return view.templates.find((t) => t.commonName === nameOrOid) ?? view.templates.find((t) => t.oid === nameOrOid);
}

export function casOfTemplate(view: PolicyView, template: CachedTemplate): CachedCa[] {
  return template.caIds.map((id) => view.cas.find((ca) => ca.id === id)).filter((ca): ca is CachedCa => ca !== undefined);
}
