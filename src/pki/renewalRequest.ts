// Renewal requests (protocol.md §4.3, §4.4, §5.2): a PKCS#10 for the new (or same) key that
// carries the old certificate, wrapped in CMS SignedData signed with the old certificate's key.
import type { KeyObject } from 'node:crypto';
import type * as asn1js from 'asn1js';
import { InputError } from '../errors.js';
import { contextConstructed, integer, octetString, oid, raw, sequence, set, toDer } from './asn1Build.js';
import { buildCsr, subjectKeyIdentifier, type CsrOptions, type PolicyExtension, type SanRequest } from './csr.js';
import { readCertificate } from './certInfo.js';
import { bytesEqual } from './der.js';
import { Oid } from './oids.js';
import { buildSignedData, type SignerSpec } from './signedDataBuild.js';
import { publicOf, spkiOf, type SigningKey } from './signingKey.js';

export interface RenewalRequestOptions {
  oldCertificateDer: Uint8Array;
  oldPrivateKey: SigningKey;
  /** The new key; omit both (or pass the old key) to renew with the same key. */
  newPrivateKey?: SigningKey;
  newPublicKey?: KeyObject;
  template?: CsrOptions['template'];
  templateName?: string;
  policyExtensions?: PolicyExtension[];
  /** SANs to request; `copyOldSan` copies the old certificate's SAN extension instead (OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME). */
  san?: SanRequest;
  copyOldSan?: boolean;
  clientInfo?: CsrOptions['clientInfo'];
  osVersion?: string;
  cspName?: string;
  rsaPss?: boolean;
  /** 'cms' (default): SignedData(id-data) over the PKCS#10 (§4.3); 'cmc': SignedData(PKIData) (§4.4). */
  format?: 'cms' | 'cmc';
}

/** DER ContentInfo, ready for a `#PKCS7` BinarySecurityToken. */
export async function buildRenewalRequest(options: RenewalRequestOptions): Promise<Uint8Array> {
  const old = readCertificate(options.oldCertificateDer, 'certificate being renewed');
  const newPrivateKey = options.newPrivateKey ?? options.oldPrivateKey;
  const publicKey = options.newPublicKey ?? publicOf(newPrivateKey);
  const oldKeySpki = spkiOf(options.oldPrivateKey);
  if (!bytesEqual(oldKeySpki, old.spki.bytes)) {
    throw new InputError('the private key given for renewal is not the key of the certificate being renewed', 'RENEWAL_KEY_MISMATCH');
  }
  const policyExtensions = [...(options.policyExtensions ?? [])];
  const oldSan = old.extensions.find((extension) => extension.oid === Oid.subjectAltName);
  if (options.copyOldSan === true && oldSan !== undefined) policyExtensions.unshift({ oid: oldSan.oid, critical: oldSan.critical, valueDer: oldSan.valueDer });

  const csrOptions: CsrOptions = {
    privateKey: newPrivateKey,
    publicKey,
    subject: old.subject.bytes,
    policyExtensions,
    renewalCertificateDer: options.oldCertificateDer,
  };
  if (options.san !== undefined && options.copyOldSan !== true) csrOptions.san = options.san;
  if (options.template !== undefined) csrOptions.template = options.template;
  if (options.templateName !== undefined) csrOptions.templateName = options.templateName;
  if (options.clientInfo !== undefined) csrOptions.clientInfo = options.clientInfo;
  if (options.osVersion !== undefined) csrOptions.osVersion = options.osVersion;
  if (options.cspName !== undefined) csrOptions.cspName = options.cspName;
  if (options.rsaPss !== undefined) csrOptions.rsaPss = options.rsaPss;
  const csrDer = await buildCsr(csrOptions);

  const oldSigner: SignerSpec = { privateKey: options.oldPrivateKey, sid: { certificateDer: options.oldCertificateDer }, rsaPss: options.rsaPss === true };
  if ((options.format ?? 'cms') === 'cms') {
    return buildSignedData({ contentType: Oid.data, content: csrDer, certificates: [options.oldCertificateDer], signers: [oldSigner] });
  }
  // CMC: the new key signs first, named by its subjectKeyIdentifier (RFC 5272 §3.2.1.3.3), then the old key.
  const newKeySpki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return buildSignedData({
    contentType: Oid.pkiData,
    content: buildPkiData(csrDer, options.templateName),
    certificates: [options.oldCertificateDer],
    signers: [{ privateKey: newPrivateKey, sid: { keyId: subjectKeyIdentifier(newKeySpki) }, rsaPss: options.rsaPss === true }, oldSigner],
  });
}

const requestBodyPartId = 1;
const regInfoBodyPartId = 2;

/** PKIData { controlSequence (RegInfo CertificateTemplate=<name>), reqSequence [tcr], cmsSequence {}, otherMsgSequence {} }. */
export function buildPkiData(csrDer: Uint8Array, templateName?: string): Uint8Array {
  const controls: asn1js.BaseBlock[] = [];
  if (templateName !== undefined) {
    const regInfo = new Uint8Array(Buffer.from(`CertificateTemplate=${encodeURIComponent(templateName)}`, 'utf8'));
    controls.push(sequence(integer(regInfoBodyPartId), oid(Oid.cmcRegInfo), set(octetString(regInfo))));
  }
  return toDer(sequence(sequence(...controls), sequence(contextConstructed(0, integer(requestBodyPartId), raw(csrDer))), sequence(), sequence()));
}
