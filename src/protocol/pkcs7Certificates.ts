// The certificates inside a PKCS#7 / CMS SignedData (a CMC full PKI response, or the older
// MS-WCCE response format some servers put in RequestedSecurityToken). Parsing only: nothing is
// verified here; the chain is checked where the certificate is installed. Read with the small DER
// reader of src/pki, not pkijs: this sits on the `request` start-up path, where importing pkijs
// (and its WebCrypto set-up) cost more than the rest of the parsing together.
import { ProtocolError } from '../errors.js';
import { bytesEqual, copyBytes } from '../pki/der.js';
import { readCertificate } from '../pki/certInfo.js';
import { readSignedData } from '../pki/signedData.js';

/** DER of every X.509 certificate in a SignedData, in the order stored. */
export function pkcs7CertificatesDer(der: Uint8Array): Uint8Array[] {
  try {
    return readSignedData(der, 'PKCS#7 token').certificates.map((certificate) => copyBytes(certificate.bytes));
  } catch (error) {
    throw new ProtocolError('PKCS#7 token is not a readable CMS SignedData', 'PKCS7_INVALID', { cause: error });
  }
}

/** The end-entity certificate of a SignedData: the one that issued none of the others. */
export function pkcs7LeafCertificateDer(der: Uint8Array): Uint8Array {
  let certs: { bytes: Uint8Array; issuer: Uint8Array; subject: Uint8Array }[];
  const all = pkcs7CertificatesDer(der);
  try {
    certs = all.map((bytes) => {
      const parts = readCertificate(bytes, 'PKCS#7 certificate');
      return { bytes, issuer: parts.issuer.bytes, subject: parts.subject.bytes };
    });
  } catch (error) {
    throw new ProtocolError('PKCS#7 token holds an unreadable certificate', 'PKCS7_INVALID', { cause: error });
  }
  const selfIssued = (c: (typeof certs)[number]): boolean => bytesEqual(c.subject, c.issuer);
  const leaves = certs.filter((c) => !certs.some((o) => o !== c && bytesEqual(o.issuer, c.subject) && !selfIssued(o)));
  const leaf = leaves.find((c) => !selfIssued(c)) ?? leaves[0];
  if (!leaf) throw new ProtocolError('PKCS#7 token holds no certificate', 'PKCS7_NO_CERTIFICATE');
  return leaf.bytes;
}
