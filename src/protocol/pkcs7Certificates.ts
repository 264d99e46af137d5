// The certificates inside a PKCS#7 / CMS SignedData (a CMC full PKI response, or the older
// MS-WCCE response format some servers put in RequestedSecurityToken). Parsing only: nothing is
// verified here; the chain is checked where the certificate is installed.
import * as pkijs from 'pkijs';
import { ProtocolError } from '../errors.js';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** DER of every X.509 certificate in a SignedData, in the order stored. */
export function pkcs7CertificatesDer(der: Uint8Array): Uint8Array[] {
  let signed: pkijs.SignedData;
  try {
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error(`content type ${info.contentType} is not SignedData`);
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    throw new ProtocolError('PKCS#7 token is not a readable CMS SignedData', 'PKCS7_INVALID', { cause: error });
  }
  return (signed.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new Uint8Array(c.toSchema().toBER(false)));
}

/** The end-entity certificate of a SignedData: the one that issued none of the others. */
export function pkcs7LeafCertificateDer(der: Uint8Array): Uint8Array {
  const certs = pkcs7CertificatesDer(der).map((bytes) => ({ bytes, cert: pkijs.Certificate.fromBER(toArrayBuffer(bytes)) }));
  const leaves = certs.filter((c) => !certs.some((o) => o !== c && o.cert.issuer.isEqual(c.cert.subject) && !o.cert.subject.isEqual(o.cert.issuer)));
  const leaf = leaves.find((c) => !c.cert.subject.isEqual(c.cert.issuer)) ?? leaves[0];
  if (!leaf) throw new ProtocolError('PKCS#7 token holds no certificate', 'PKCS7_NO_CERTIFICATE');
  return leaf.bytes;
}
