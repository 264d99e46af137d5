// The four template flag words of a GetPoliciesResponse, decoded with the full MS-CRTD tables
// (protocol.md §2.3). Windows CEP passes the raw AD attribute values, so bits beyond the XCEP
// subset do occur; unknown bits are kept in the raw number and otherwise ignored.

export interface PrivateKeyFlags {
  requirePrivateKeyArchival: boolean; // 0x1
  exportableKey: boolean; // 0x10
  strongKeyProtectionRequired: boolean; // 0x20
  requireAlternateSignatureAlgorithm: boolean; // 0x40
  requireSameKeyRenewal: boolean; // 0x80
  useLegacyProvider: boolean; // 0x100
  ekTrustOnUse: boolean; // 0x200
  ekValidateCert: boolean; // 0x400
  ekValidateKey: boolean; // 0x800
  attestationPreferred: boolean; // 0x1000
  attestationRequired: boolean; // 0x2000
  attestationWithoutPolicy: boolean; // 0x4000
  helloLogonKey: boolean; // 0x200000
  /** Minimum CA version nibble, (flags & 0x000F0000) >> 16. */
  serverVersion: number;
  /** Minimum client version nibble, (flags & 0x0F000000) >> 24. */
  clientVersion: number;
}

export interface SubjectNameFlags {
  enrolleeSuppliesSubject: boolean; // 0x1
  oldCertSuppliesSubjectAndAltName: boolean; // 0x8
  enrolleeSuppliesSubjectAltName: boolean; // 0x10000
  subjectAltRequireDomainDns: boolean; // 0x400000
  subjectAltRequireSpn: boolean; // 0x800000
  subjectAltRequireDirectoryGuid: boolean; // 0x1000000
  subjectAltRequireUpn: boolean; // 0x2000000
  subjectAltRequireEmail: boolean; // 0x4000000
  subjectAltRequireDns: boolean; // 0x8000000
  subjectRequireDnsAsCn: boolean; // 0x10000000
  subjectRequireEmail: boolean; // 0x20000000
  subjectRequireCommonName: boolean; // 0x40000000
  subjectRequireDirectoryPath: boolean; // 0x80000000
}

export interface EnrollmentFlags {
  includeSymmetricAlgorithms: boolean; // 0x1
  pendAllRequests: boolean; // 0x2
  publishToKraContainer: boolean; // 0x4
  publishToDs: boolean; // 0x8
  autoEnrollmentCheckUserDsCertificate: boolean; // 0x10
  autoEnrollment: boolean; // 0x20
  previousApprovalValidateReenrollment: boolean; // 0x40
  userInteractionRequired: boolean; // 0x100
  removeInvalidCertificateFromPersonalStore: boolean; // 0x400
  allowEnrollOnBehalfOf: boolean; // 0x800
  addOcspNoCheck: boolean; // 0x1000
  enableKeyReuseOnNtTokenKeysetStorageFull: boolean; // 0x2000
  noRevocationInfoInIssuedCerts: boolean; // 0x4000
  includeBasicConstraintsForEeCerts: boolean; // 0x8000
  /** CT_FLAG_ALLOW_PREVIOUS_APPROVAL_KEYBASEDRENEWAL_VALIDATE_REENROLLMENT: key-based renewal allowed. */
  allowKeyBasedRenewal: boolean; // 0x10000
  issuancePoliciesFromRequest: boolean; // 0x20000
  skipAutoRenewal: boolean; // 0x40000
  noSecurityExtension: boolean; // 0x80000
}

export interface GeneralFlags {
  autoEnrollment: boolean; // 0x20
  machineType: boolean; // 0x40
  isCa: boolean; // 0x80
  addTemplateName: boolean; // 0x200
  isCrossCa: boolean; // 0x800
  doNotPersistInDb: boolean; // 0x1000
  isDefault: boolean; // 0x10000
  isModified: boolean; // 0x20000
}

type Table<T> = { [K in keyof T]?: number };

const PRIVATE_KEY: Table<PrivateKeyFlags> = {
  requirePrivateKeyArchival: 0x1,
  exportableKey: 0x10,
  strongKeyProtectionRequired: 0x20,
  requireAlternateSignatureAlgorithm: 0x40,
  requireSameKeyRenewal: 0x80,
  useLegacyProvider: 0x100,
  ekTrustOnUse: 0x200,
  ekValidateCert: 0x400,
  ekValidateKey: 0x800,
  attestationPreferred: 0x1000,
  attestationRequired: 0x2000,
  attestationWithoutPolicy: 0x4000,
  helloLogonKey: 0x200000,
};

const SUBJECT_NAME: Table<SubjectNameFlags> = {
  enrolleeSuppliesSubject: 0x1,
  oldCertSuppliesSubjectAndAltName: 0x8,
  enrolleeSuppliesSubjectAltName: 0x10000,
  subjectAltRequireDomainDns: 0x400000,
  subjectAltRequireSpn: 0x800000,
  subjectAltRequireDirectoryGuid: 0x1000000,
  subjectAltRequireUpn: 0x2000000,
  subjectAltRequireEmail: 0x4000000,
  subjectAltRequireDns: 0x8000000,
  subjectRequireDnsAsCn: 0x10000000,
  subjectRequireEmail: 0x20000000,
  subjectRequireCommonName: 0x40000000,
  subjectRequireDirectoryPath: 0x80000000,
};

const ENROLLMENT: Table<EnrollmentFlags> = {
  includeSymmetricAlgorithms: 0x1,
  pendAllRequests: 0x2,
  publishToKraContainer: 0x4,
  publishToDs: 0x8,
  autoEnrollmentCheckUserDsCertificate: 0x10,
  autoEnrollment: 0x20,
  previousApprovalValidateReenrollment: 0x40,
  userInteractionRequired: 0x100,
  removeInvalidCertificateFromPersonalStore: 0x400,
  allowEnrollOnBehalfOf: 0x800,
  addOcspNoCheck: 0x1000,
  enableKeyReuseOnNtTokenKeysetStorageFull: 0x2000,
  noRevocationInfoInIssuedCerts: 0x4000,
  includeBasicConstraintsForEeCerts: 0x8000,
  allowKeyBasedRenewal: 0x10000,
  issuancePoliciesFromRequest: 0x20000,
  skipAutoRenewal: 0x40000,
  noSecurityExtension: 0x80000,
};

const GENERAL: Table<GeneralFlags> = {
  autoEnrollment: 0x20,
  machineType: 0x40,
  isCa: 0x80,
  addTemplateName: 0x200,
  isCrossCa: 0x800,
  doNotPersistInDb: 0x1000,
  isDefault: 0x10000,
  isModified: 0x20000,
};

const entriesCache = new Map<object, [string, number][]>();

function decode<T>(table: Table<T>, value: number): Record<string, boolean> {
  let entries = entriesCache.get(table);
  if (!entries) {
    entries = Object.entries(table) as [string, number][];
    entriesCache.set(table, entries);
  }
  const out: Record<string, boolean> = {};
  const unsigned = value >>> 0;
  for (const [name, bit] of entries) out[name] = (unsigned & bit) >>> 0 === bit;
  return out;
}

function encode<T>(table: Table<T>, flags: Partial<Record<keyof T, unknown>>): number {
  let value = 0;
  for (const [name, bit] of Object.entries(table) as [keyof T & string, number][]) if (flags[name] === true) value |= bit;
  return value >>> 0;
}

export function decodePrivateKeyFlags(value: number): PrivateKeyFlags {
  const unsigned = value >>> 0;
  return { ...(decode(PRIVATE_KEY, unsigned) as Omit<PrivateKeyFlags, 'serverVersion' | 'clientVersion'>), serverVersion: (unsigned >>> 16) & 0xf, clientVersion: (unsigned >>> 24) & 0xf };
}

export function decodeSubjectNameFlags(value: number): SubjectNameFlags {
  return decode(SUBJECT_NAME, value) as unknown as SubjectNameFlags;
}

export function decodeEnrollmentFlags(value: number): EnrollmentFlags {
  return decode(ENROLLMENT, value) as unknown as EnrollmentFlags;
}

export function decodeGeneralFlags(value: number): GeneralFlags {
  return decode(GENERAL, value) as unknown as GeneralFlags;
}

/** Inverse of the decoders (for the lab and tests): named booleans (and version nibbles) to the raw word. */
export function encodePrivateKeyFlags(flags: Partial<PrivateKeyFlags>): number {
  return (encode(PRIVATE_KEY, flags) | ((flags.serverVersion ?? 0) & 0xf) << 16 | ((flags.clientVersion ?? 0) & 0xf) << 24) >>> 0;
}
export function encodeSubjectNameFlags(flags: Partial<SubjectNameFlags>): number {
  return encode(SUBJECT_NAME, flags);
}
export function encodeEnrollmentFlags(flags: Partial<EnrollmentFlags>): number {
  return encode(ENROLLMENT, flags);
}
export function encodeGeneralFlags(flags: Partial<GeneralFlags>): number {
  return encode(GENERAL, flags);
}
