// The lab CA's decision on a submitted request (MS-WCCE rules as summarised in protocol.md §4, §5.3):
// which template, whether the request is a valid renewal, key length and template version checks,
// and whether it is issued at once or pended for CA manager approval. Pure: no I/O, no clock.
import { createPublicKey } from 'node:crypto';
import { bytesEqual } from '../pki/der.js';
import { decodeCsr } from '../pki/csrDecode.js';
import type { DecodedCsr } from '../pki/csrDecode.js';
import { decodeSignedRequest } from '../pki/signedRequestDecode.js';
import type { DecodedSignedRequest } from '../pki/signedRequestDecode.js';
import { OID } from './ca.js';
import { clientCertificateProblem, inspectClientCertificate } from './clientCertificate.js';
import type { ClientCertificate } from './clientCertificate.js';
import { HRESULT } from './hresults.js';
import type { LabCaMaterial } from './labPki.js';
import { allowsKeyBasedRenewal, pendsAllRequests, renewalSkipsApproval, requiresSameKey } from './templates.js';
import type { ResolvedTemplate } from './templates.js';

export interface DecisionInput {
  requestDer: Uint8Array;
  /** AdditionalContext CertificateTemplate, if sent. */
  contextTemplateName?: string;
  caName: string;
  /** Templates published on this CA. */
  templates: readonly ResolvedTemplate[];
  cas: ReadonlyMap<string, LabCaMaterial>;
  /** Renewal-only + AllowKeyBasedRenewal CES: the TLS client certificate authenticates the renewal. */
  renewalOnly: boolean;
  clientCert?: ClientCertificate;
  revoked: ReadonlySet<string>;
  now: Date;
}

export interface Issuance {
  subjectDer: Uint8Array;
  spkiDer: Uint8Array;
  subjectAltNameDer?: Uint8Array;
}

export type Decision =
  | { kind: 'reject'; hresult: number; reason: string; /** The CA saw it (a RequestID is assigned). */ reachedCa: boolean; template?: string }
  | { kind: 'accept'; pend: boolean; template: ResolvedTemplate; issuance: Issuance; renewal: boolean };

const reject = (hresult: number, reason: string, reachedCa = true, template?: string): Decision => ({ kind: 'reject', hresult, reason, reachedCa, template });

export function decide(input: DecisionInput): Decision {
  let signed: DecodedSignedRequest | undefined;
  let csr: DecodedCsr;
  try {
    signed = looksLikeCms(input.requestDer) ? decodeSignedRequest(input.requestDer) : undefined;
    csr = decodeCsr(signed ? signed.csrDer : input.requestDer);
  } catch {
    return reject(HRESULT.CRYPT_E_ASN1_BADTAG, 'ASN1 bad tag value met. The request is neither a PKCS#10 nor a CMS/CMC request.', false);
  }
  if (!signed && !csr.signatureValid) return reject(HRESULT.NTE_BAD_SIGNATURE, 'The PKCS#10 request signature is invalid.', false);

  const renewalCertDer = signed ? csr.renewalCertificateDer : undefined;
  if (input.renewalOnly && renewalCertDer === undefined) {
    return reject(
      HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE,
      'This enrollment service accepts only renewal requests: a CMS or CMC request signed with the key of the certificate being renewed, carrying it in the renewal certificate attribute.',
      false,
    );
  }

  const templateResult = findTemplate(csr, input);
  if ('hresult' in templateResult) return templateResult;
  const template = templateResult;

  const versionProblem = checkVersion(csr, template);
  if (versionProblem) return versionProblem;

  let keyBits: number;
  try {
    keyBits = publicKeyBits(csr.publicKeySpkiDer);
  } catch {
    return reject(HRESULT.CRYPT_E_ASN1_BADTAG, 'The public key of the request cannot be read.', false);
  }
  if (keyBits < template.minimalKeyLength) {
    return reject(HRESULT.CERTSRV_E_KEY_LENGTH, `The public key does not meet the minimum size required by the specified certificate template (${keyBits} < ${template.minimalKeyLength} bits).`, true, template.name);
  }

  if (renewalCertDer === undefined || !signed) {
    return { kind: 'accept', pend: pendsAllRequests(template), template, issuance: issuanceFrom(csr), renewal: false };
  }
  return decideRenewal(input, signed, csr, renewalCertDer, template);
}

function decideRenewal(input: DecisionInput, signed: DecodedSignedRequest, csr: DecodedCsr, renewalCertDer: Uint8Array, template: ResolvedTemplate): Decision {
  const fail = (hresult: number, reason: string) => reject(hresult, reason, true, template.name);
  if (!signed.certificates.some((der) => bytesEqual(der, renewalCertDer))) {
    return fail(HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, 'The certificate being renewed is missing from the CMS certificates.');
  }
  if (input.renewalOnly && (!input.clientCert || !bytesEqual(input.clientCert.der, renewalCertDer))) {
    return fail(HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, 'The certificate being renewed is not the TLS client certificate.');
  }
  const oldSigner = signed.signers.find((s) => s.certificateDer !== undefined && bytesEqual(s.certificateDer, renewalCertDer));
  if (!oldSigner) {
    return fail(HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, 'The renewal request is not signed with the key of the certificate being renewed.');
  }
  if (!oldSigner.signatureValid) return fail(HRESULT.NTE_BAD_SIGNATURE, 'The signature of the renewal request is invalid.');

  let old: ClientCertificate;
  try {
    old = inspectClientCertificate(renewalCertDer, input.cas);
  } catch {
    return fail(HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, 'The certificate being renewed cannot be read.');
  }
  const problem = clientCertificateProblem(old, input.caName, input.revoked, input.now);
  if (problem) return fail(problem.hresult, problem.reason);
  if (old.description.template?.oid !== template.oid) {
    return fail(HRESULT.CERTSRV_E_TEMPLATE_CONFLICT, 'A renewal must be for the template of the certificate being renewed.');
  }
  if (input.renewalOnly && !allowsKeyBasedRenewal(template)) {
    return fail(HRESULT.CERTSRV_E_TEMPLATE_DENIED, `Template ${template.name} does not allow key-based renewal.`);
  }
  const requestSubjectEmpty = csr.subject === '';
  if (!requestSubjectEmpty && !bytesEqual(csr.subjectDer, old.description.subjectDer)) {
    return fail(HRESULT.CERTSRV_E_BAD_RENEWAL_SUBJECT, 'The subject of the renewal request does not match the certificate being renewed.');
  }
  if (requiresSameKey(template) && !bytesEqual(csr.publicKeySpkiDer, old.description.publicKeySpkiDer)) {
    return fail(HRESULT.CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY, 'The template requires renewal with the same key.');
  }
  const oldSan = old.description.extensions.find((e) => e.oid === OID.subjectAltName)?.valueDer;
  const issuance: Issuance = { subjectDer: old.description.subjectDer, spkiDer: csr.publicKeySpkiDer };
  const san = oldSan ?? issuanceFrom(csr).subjectAltNameDer;
  if (san) issuance.subjectAltNameDer = san;
  const pend = pendsAllRequests(template) && !renewalSkipsApproval(template);
  return { kind: 'accept', pend, template, issuance, renewal: true };
}

function findTemplate(csr: DecodedCsr, input: DecisionInput): ResolvedTemplate | Extract<Decision, { kind: 'reject' }> {
  const byOid = csr.template ? input.templates.find((t) => t.oid === csr.template?.oid) : undefined;
  const names = [csr.templateName, input.contextTemplateName].filter((n): n is string => n !== undefined && n !== '');
  const byName = names.map((name) => input.templates.find((t) => t.name.toLowerCase() === name.toLowerCase() || t.oid === name));
  if (csr.template && !byOid) {
    return reject(HRESULT.CERTSRV_E_UNSUPPORTED_CERT_TYPE, `The requested certificate template (${csr.template.oid}) is not supported by this CA.`) as Extract<Decision, { kind: 'reject' }>;
  }
  if (byName.some((t) => t === undefined)) {
    return reject(HRESULT.CERTSRV_E_UNSUPPORTED_CERT_TYPE, `The requested certificate template (${names.join(', ')}) is not supported by this CA.`) as Extract<Decision, { kind: 'reject' }>;
  }
  const candidates = [byOid, ...byName].filter((t): t is ResolvedTemplate => t !== undefined);
  const first = candidates[0];
  if (!first) {
    return reject(HRESULT.CERTSRV_E_UNSUPPORTED_CERT_TYPE, 'The request names no certificate template.') as Extract<Decision, { kind: 'reject' }>;
  }
  if (candidates.some((t) => t !== first)) {
    return reject(HRESULT.CERTSRV_E_TEMPLATE_CONFLICT, 'The template identifiers in the request disagree.') as Extract<Decision, { kind: 'reject' }>;
  }
  return first;
}

function checkVersion(csr: DecodedCsr, template: ResolvedTemplate): Decision | undefined {
  const major = csr.template?.majorVersion ?? 0;
  const minor = csr.template?.minorVersion ?? 0;
  if (major > template.majorVersion || (major === template.majorVersion && minor > template.minorVersion)) {
    return reject(HRESULT.CERTSRV_E_BAD_TEMPLATE_VERSION, 'Denied by Policy Module', true, template.name);
  }
  return undefined;
}

function issuanceFrom(csr: DecodedCsr): Issuance {
  const issuance: Issuance = { subjectDer: csr.subjectDer, spkiDer: csr.publicKeySpkiDer };
  const san = csr.extensions.find((e) => e.oid === OID.subjectAltName);
  if (san) issuance.subjectAltNameDer = san.valueDer;
  return issuance;
}

function publicKeyBits(spkiDer: Uint8Array): number {
  const details = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }).asymmetricKeyDetails;
  if (details?.modulusLength !== undefined) return details.modulusLength;
  const curveBits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  return curveBits[details?.namedCurve ?? ''] ?? 0;
}

/** ContentInfo starts SEQUENCE { OID 1.2.840.113549.1.7.2 …; a PKCS#10 starts SEQUENCE { SEQUENCE … }. */
function looksLikeCms(der: Uint8Array): boolean {
  const signedDataOid = Buffer.from('06092a864886f70d010702', 'hex');
  const head = Buffer.from(der.subarray(0, 24));
  return head.includes(signedDataOid);
}
