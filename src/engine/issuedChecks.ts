// The checks an issued certificate passes before anything is written, besides "certifies our key"
// and "chains to a trust anchor" (pki/issued.ts): it is valid now (not expired; its notBefore at
// most the clock-skew tolerance ahead of the local clock), and it names what was asked for.
//
// What was asked for is read from the request itself, so that enrollment, renewal and retrieval of
// a pending request judge alike:
// - the enrollee supplies the subject (template flag 0x1) and the PKCS#10 has one → the same subject;
// - key-based renewal with "old certificate supplies subject and alternative names" (0x8) → the
//   subject and alternative names of the certificate being renewed (carried in the request);
// - alternative names in the request, and a template that takes them from the request → exactly those;
// - a template where the CA builds the subject or the names from the directory → not comparable,
//   only validity is checked (the names are the directory's).
// A notBefore ahead of the local clock, but within the tolerance, is accepted with a CLOCK_SKEW warning.
import { IssuedCertificateRefused } from '../errors.js';
import type { CertificateDescription } from '../pki/certInfo.js';
import { describeCertificate } from '../pki/certInfo.js';
import { decodeCsr } from '../pki/csrDecode.js';
import type { SubjectAltNames } from '../pki/san.js';
import { decodeSignedRequest } from '../pki/signedRequestDecode.js';
import { decodeSubjectNameFlags } from '../protocol/templateFlags.js';

export const IssuedCheckCode = {
  EXPIRED: 'ISSUED_EXPIRED',
  NOT_YET_VALID: 'ISSUED_NOT_YET_VALID',
  SUBJECT_MISMATCH: 'ISSUED_SUBJECT_MISMATCH',
  SAN_MISMATCH: 'ISSUED_SAN_MISMATCH',
} as const;

export interface RequestedNames {
  /** RFC 4514 subject that must be issued, or null when the CA builds it. */
  subject: string | null;
  /** Alternative names that must be issued, or null when the CA builds them. */
  san: SubjectAltNames | null;
}

const sanEmpty = (san: SubjectAltNames): boolean => san.dns.length + san.ip.length + san.upn.length + san.email.length === 0;

/** What the issued certificate must name, read from the request that was sent (PKCS#10 or renewal CMS/CMC). */
export function requestedNames(requestDer: Uint8Array, subjectNameFlags: number | undefined): RequestedNames {
  const flags = subjectNameFlags === undefined ? undefined : decodeSubjectNameFlags(subjectNameFlags);
  const signed = signedRequest(requestDer);
  const csr = decodeCsr(signed?.csrDer ?? requestDer);
  const oldDer = signed ? (signed.signers[0]?.certificateDer ?? csr.renewalCertificateDer) : undefined;
  const renewed = oldDer ? describeCertificate(oldDer) : undefined;
  if (renewed && flags?.oldCertSuppliesSubjectAndAltName) return { subject: renewed.subject, san: sanEmpty(renewed.san) ? null : renewed.san };
  const enrolleeSubject = flags?.enrolleeSuppliesSubject === true;
  const enrolleeSan = flags !== undefined && (flags.enrolleeSuppliesSubjectAltName || flags.enrolleeSuppliesSubject);
  return {
    subject: enrolleeSubject && csr.subject !== '' ? csr.subject : null,
    san: enrolleeSan && !sanEmpty(csr.san) ? csr.san : null,
  };
}

/** The renewal CMS/CMC around a PKCS#10, or undefined for a bare PKCS#10. */
function signedRequest(der: Uint8Array): ReturnType<typeof decodeSignedRequest> | undefined {
  try {
    return decodeSignedRequest(der);
  } catch {
    return undefined;
  }
}

export interface IssuedCheckInput {
  certificateId: string;
  description: CertificateDescription;
  requestId: string | null;
  nowMs: number;
  toleranceMs: number;
  requested: RequestedNames;
}

export interface IssuedCheckResult {
  /** Set when notBefore is ahead of the local clock within the tolerance. */
  clockSkewMs?: number;
}

const normalize = (san: SubjectAltNames): string[] =>
  [...san.dns.map((d) => `dns:${d.toLowerCase()}`), ...san.ip.map((i) => `ip:${i}`), ...san.upn.map((u) => `upn:${u.toLowerCase()}`), ...san.email.map((e) => `email:${e.toLowerCase()}`)].sort();

const listSan = (san: SubjectAltNames): string => normalize(san).join(', ') || '(none)';

/** Throws IssuedCertificateRefused (one code per reason) or says whether the clock looks behind. */
export function checkIssuedCertificate(input: IssuedCheckInput): IssuedCheckResult {
  const d = input.description;
  const refuse = (code: string, what: string): never => {
    const request = input.requestId !== null ? `request ${input.requestId}` : 'the request (no RequestID in the answer)';
    throw new IssuedCertificateRefused(
      `certificate "${input.certificateId}": the certificate CA "${d.issuer}" issued for ${request} (serial ${d.serialHex}) ${what}; nothing was installed. ` +
        `Fix: revoke it on the CA (certutil -revoke ${d.serialHex}) and correct the CA or template; autoenroll retries later with a new request.`,
      { certificateId: input.certificateId, ca: d.issuer, serialHex: d.serialHex, ...(input.requestId !== null ? { requestId: input.requestId } : {}) },
      code,
    );
  };
  if (d.notAfter.getTime() <= input.nowMs) refuse(IssuedCheckCode.EXPIRED, `is already expired (notAfter ${iso(d.notAfter)}, now ${iso(new Date(input.nowMs))})`);
  const ahead = d.notBefore.getTime() - input.nowMs;
  if (ahead > input.toleranceMs) {
    refuse(IssuedCheckCode.NOT_YET_VALID, `is not valid before ${iso(d.notBefore)}, ${Math.round(ahead / 1000)} s ahead of this machine's clock (clockSkewTolerance ${Math.round(input.toleranceMs / 1000)} s)`);
  }
  const { subject, san } = input.requested;
  if (subject !== null && subject !== d.subject) refuse(IssuedCheckCode.SUBJECT_MISMATCH, `names the subject "${d.subject}", not the requested "${subject}"`);
  if (san !== null && normalize(san).join('\n') !== normalize(d.san).join('\n')) {
    refuse(IssuedCheckCode.SAN_MISMATCH, `carries the alternative names ${listSan(d.san)}, not the requested ${listSan(san)}`);
  }
  return ahead > 0 ? { clockSkewMs: ahead } : {};
}

const iso = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;
