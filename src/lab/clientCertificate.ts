// The TLS client certificate as the certificate endpoints see it. The server asks for a certificate
// without letting TLS reject it (requestCert + rejectUnauthorized:false, server side only), then
// checks it here against the lab's CAs, so that every rejection can be answered with the fault and
// HRESULT Windows uses instead of a bare handshake failure.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCertificate } from '../pki/certInfo.js';
import type { CertificateDescription } from '../pki/certInfo.js';
import { HRESULT } from './hresults.js';
import type { LabCaMaterial } from './labPki.js';

export interface ClientCertificate {
  der: Uint8Array;
  thumbprint: string;
  description: CertificateDescription;
  /** The lab CA that issued it (signature checked), if any. */
  issuedBy?: string;
}

export type ClientCertificateProblem = { hresult: number; reason: string };

export function inspectClientCertificate(der: Uint8Array, cas: ReadonlyMap<string, LabCaMaterial>): ClientCertificate {
  const description = describeCertificate(der);
  const x509 = new X509Certificate(der);
  let issuedBy: string | undefined;
  for (const [name, ca] of cas) {
    if (x509.checkIssued(ca.x509) && x509.verify(ca.x509.publicKey)) issuedBy = name;
  }
  const result: ClientCertificate = { der, thumbprint: description.thumbprintSha1, description };
  if (issuedBy !== undefined) result.issuedBy = issuedBy;
  return result;
}

/** The checks of a KBR CES on the certificate that authenticates the renewal (protocol.md §5.3). */
export function clientCertificateProblem(cert: ClientCertificate, caName: string, revoked: ReadonlySet<string>, now: Date): ClientCertificateProblem | undefined {
  if (cert.issuedBy === undefined) {
    return { hresult: HRESULT.CERT_E_UNTRUSTEDROOT, reason: 'The client certificate does not chain to a certification authority this service trusts.' };
  }
  if (cert.issuedBy !== caName) {
    return { hresult: HRESULT.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, reason: `The client certificate was not issued by ${caName}.` };
  }
  if (now < cert.description.notBefore || now > cert.description.notAfter) {
    return { hresult: HRESULT.CERT_E_EXPIRED, reason: 'The client certificate has expired or is not yet valid.' };
  }
  if (revoked.has(cert.description.serialHex)) {
    return { hresult: HRESULT.CRYPT_E_REVOKED, reason: 'The client certificate has been revoked.' };
  }
  return undefined;
}

/** Serial numbers (uppercase hex) revoked in this lab: <dir>/revoked.json, re-read on every check. */
export function readRevokedSerials(dir: string): Set<string> {
  try {
    const list = JSON.parse(readFileSync(join(dir, 'revoked.json'), 'utf8')) as unknown;
    return new Set(Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : []);
  } catch {
    return new Set();
  }
}
