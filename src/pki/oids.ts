// Object identifiers used across src/pki (names as in the specifications).
export const Oid = {
  // PKCS#9 / Windows request attributes
  extensionRequest: '1.2.840.113549.1.9.14',
  msCertExtensions: '1.3.6.1.4.1.311.2.1.14',
  renewalCertificate: '1.3.6.1.4.1.311.13.1',
  enrollmentNameValuePair: '1.3.6.1.4.1.311.13.2.1',
  enrollmentCspProvider: '1.3.6.1.4.1.311.13.2.2',
  osVersion: '1.3.6.1.4.1.311.13.2.3',
  requestClientInfo: '1.3.6.1.4.1.311.21.20',
  contentTypeAttr: '1.2.840.113549.1.9.3',
  messageDigestAttr: '1.2.840.113549.1.9.4',
  // extensions
  certificateTemplate: '1.3.6.1.4.1.311.21.7',
  enrollCertType: '1.3.6.1.4.1.311.20.2',
  upn: '1.3.6.1.4.1.311.20.2.3',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  // CMS / CMC
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  pkiData: '1.3.6.1.5.5.7.12.2',
  pkiResponse: '1.3.6.1.5.5.7.12.3',
  cmcStatusInfo: '1.3.6.1.5.5.7.7.1',
  cmcStatusInfoV2: '1.3.6.1.5.5.7.7.25',
  cmcRegInfo: '1.3.6.1.5.5.7.7.18',
  cmcAddAttributes: '1.3.6.1.4.1.311.10.10.1',
  issuedCertHash: '1.3.6.1.4.1.311.21.17',
  // algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ecdh: '1.3.132.1.12',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
} as const;

/** node:crypto hash names by digest algorithm OID. */
export const hashByOid: Readonly<Record<string, string>> = {
  [Oid.sha1]: 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  [Oid.sha256]: 'sha256',
  [Oid.sha384]: 'sha384',
  [Oid.sha512]: 'sha512',
};
