// Questions the engine asks of the merged policy: where is this template, which CAs issue it,
// which CA issued this certificate, and which CES URIs may a request use. Pure.
import { skippedEnrollmentUris } from '../transport/enrollmentEndpoints.js';
import type { SkippedEnrollmentUri } from '../transport/enrollmentEndpoints.js';
import { X509Certificate } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { decodeEnrollmentFlags, decodePrivateKeyFlags, decodeSubjectNameFlags } from '../protocol/templateFlags.js';
import type { EnrollmentUriCandidate } from '../transport/enrollmentEndpoints.js';
import { casOfTemplate, findPolicyTemplate } from './cachedPolicy.js';
import type { CachedCa, CachedTemplate, PolicyView } from './cachedPolicy.js';
import type { PolicyTemplateView } from './plannerTypes.js';

export interface LocatedTemplate {
  view: PolicyView;
  template: CachedTemplate;
}

/** The template in the first policy (most preferred server first) that lists it. */
export function locateTemplate(views: readonly PolicyView[], nameOrOid: string): LocatedTemplate | null {
  for (const view of views) {
    const template = findPolicyTemplate(view, nameOrOid);
    if (template) return { view, template };
  }
  return null;
}

/** The planner's view of a template, with the template superseding it in the same policy. */
export function templateView(located: LocatedTemplate): PolicyTemplateView {
  const { view, template } = located;
  const enrollment = decodeEnrollmentFlags(template.enrollmentFlags);
  const superseding = view.templates.find((t) => t !== template && t.supersededTemplates.includes(template.commonName));
  const out: PolicyTemplateView = {
    commonName: template.commonName,
    oid: template.oid ?? '',
    validitySeconds: template.validitySeconds ?? 0,
    renewalSeconds: template.renewalSeconds ?? 0,
    majorRevision: template.majorRevision ?? 0,
    flags: {
      allowKeyBasedRenewal: enrollment.allowKeyBasedRenewal,
      previousApprovalValidateReenrollment: enrollment.previousApprovalValidateReenrollment,
      pendAllRequests: enrollment.pendAllRequests,
      skipAutoRenewal: enrollment.skipAutoRenewal,
      requireSameKeyRenewal: decodePrivateKeyFlags(template.privateKeyFlags).requireSameKeyRenewal,
      enrolleeSuppliesSubject: decodeSubjectNameFlags(template.subjectNameFlags).enrolleeSuppliesSubject,
    },
  };
  if (superseding) {
    out.supersededBy = superseding.commonName;
    if (superseding.oid) out.supersededByOid = superseding.oid;
  }
  return out;
}

/** The CA (of those issuing the template) whose certificate issued `certDer`: same subject and a valid signature. */
export function issuingCa(cas: readonly CachedCa[], certDer: Uint8Array): CachedCa | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
  } catch {
    return undefined;
  }
  return cas.find((ca) => {
    try {
      const caCert = parsedCa(ca.certPem);
      return cert.checkIssued(caCert) && cert.verify(caCert.publicKey);
    } catch {
      return false;
    }
  });
}

// CA certificates are few and asked about for every managed certificate of every plan.
const parsedCas = new Map<string, X509Certificate>();
function parsedCa(pem: string): X509Certificate {
  let parsed = parsedCas.get(pem);
  if (!parsed) {
    parsed = new X509Certificate(pem);
    if (parsedCas.size > 64) parsedCas.clear();
    parsedCas.set(pem, parsed);
  }
  return parsed;
}

/** Every CES URI of the template's CAs that allow enrollment, as selection candidates. */
/** The enrollment URIs of the template's CAs; a CA with a broken certificate only when `includeInvalid` (the planner's view). */
export function enrollmentCandidates(view: PolicyView, template: CachedTemplate, onlyCaId?: string, includeInvalid = false): EnrollmentUriCandidate[] {
  return casOfTemplate(view, template)
    .filter((ca) => ca.enrollPermission && (includeInvalid || ca.invalid === undefined) && (onlyCaId === undefined || ca.id === onlyCaId))
    .flatMap((ca) =>
      ca.uris.map((u) => ({ uri: u.uri, clientAuthentication: u.clientAuthentication, priority: u.priority, renewalOnly: u.renewalOnly, caId: ca.id })),
    );
}

export { casOfTemplate };

/** The enrollment URIs of a template this agent does not use (Kerberos, when not configured), each with the reason. */
export function skippedUrisOfTemplate(views: readonly PolicyView[], templateName: string, haveKerberos = false): SkippedEnrollmentUri[] {
  const located = locateTemplate(views, templateName);
  return located ? skippedEnrollmentUris(enrollmentCandidates(located.view, located.template), undefined, haveKerberos) : [];
}

/** A typed error when the template's CAs are unusable because their certificates are broken; undefined otherwise. */
export function invalidCaError(view: PolicyView, template: CachedTemplate): ProtocolError | undefined {
  const broken = casOfTemplate(view, template).filter((ca) => ca.invalid !== undefined);
  if (broken.length === 0) return undefined;
  return new ProtocolError(
    `the policy lists ${broken.length === 1 ? 'a CA' : `${broken.length} CAs`} for template "${template.commonName}" whose certificate is ${broken[0]?.invalid ?? 'broken'} (CA id ${broken.map((ca) => ca.id).join(', ')}); ` +
      'that CA is unusable and no request was sent to it. Fix: check the CA certificate the policy server publishes (the AD CS enrollment services object, pkiview.msc).',
    'POLICY_CA_CERT_INVALID',
  );
}
