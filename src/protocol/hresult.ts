// HRESULTs a CES returns in CertificateEnrollmentWSDetail/ErrorCode (protocol.md §3.5). On the
// wire they are signed 32-bit decimals (-2146877422); people know them as 0x80094012.

const NAMES: Readonly<Record<number, { name: string; meaning: string }>> = {
  0x80094012: { name: 'CERTSRV_E_TEMPLATE_DENIED', meaning: 'no Enroll permission on the template' },
  0x80094011: { name: 'CERTSRV_E_ENROLL_DENIED', meaning: 'no Enroll permission on the CA' },
  0x80094800: { name: 'CERTSRV_E_UNSUPPORTED_CERT_TYPE', meaning: 'template not published on the CA, or no template in the request' },
  0x80094801: { name: 'CERTSRV_E_NO_CERT_TYPE', meaning: 'the request names no template' },
  0x80094802: { name: 'CERTSRV_E_TEMPLATE_CONFLICT', meaning: 'the template identifiers in the request disagree' },
  0x80094803: { name: 'CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED', meaning: 'the CA cannot build the subject alternative name' },
  0x80094806: { name: 'CERTSRV_E_BAD_RENEWAL_SUBJECT', meaning: 'renewal for another subject is not authorized' },
  0x80094807: { name: 'CERTSRV_E_BAD_TEMPLATE_VERSION', meaning: 'the request template version is newer than the CA knows' },
  0x80094809: { name: 'CERTSRV_E_SIGNATURE_POLICY_REQUIRED', meaning: 'required RA signatures are missing' },
  0x8009480a: { name: 'CERTSRV_E_SIGNATURE_COUNT', meaning: 'not enough RA signatures' },
  0x8009480b: { name: 'CERTSRV_E_SIGNATURE_REJECTED', meaning: 'an RA signature was rejected' },
  0x8009480d: { name: 'CERTSRV_E_UPN_REQUIRED', meaning: 'the CA cannot find a UPN for the requester' },
  0x8009480e: { name: 'CERTSRV_E_DIRECTORY_GUID_REQUIRED', meaning: 'the CA cannot find the directory GUID of the requester' },
  0x8009480f: { name: 'CERTSRV_E_DNS_REQUIRED', meaning: 'the CA cannot find a DNS name for the requester' },
  0x80094811: { name: 'CERTSRV_E_KEY_LENGTH', meaning: 'the key is shorter than the template minimum' },
  0x80094812: { name: 'CERTSRV_E_EMAIL_REQUIRED', meaning: 'the CA cannot find an e-mail address for the requester' },
  0x80094814: { name: 'CERTSRV_E_CERT_TYPE_OVERLAP', meaning: 'the renewal period is longer than the validity' },
  0x80094816: { name: 'CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY', meaning: 'the template requires renewal with the same key' },
  0x80094001: { name: 'CERTSRV_E_BAD_REQUESTSUBJECT', meaning: 'the subject is invalid' },
  0x80094003: { name: 'CERTSRV_E_BAD_REQUESTSTATUS', meaning: 'the request state does not allow this operation' },
  0x80094004: { name: 'CERTSRV_E_PROPERTY_EMPTY', meaning: 'no such request (or an empty property)' },
  0x80094009: { name: 'CERTSRV_E_RESTRICTEDOFFICER', meaning: 'the CA officer restrictions deny this request' },
  0x8009400e: { name: 'CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE', meaning: 'the renewal certificate attribute is missing or does not match' },
  0x80094014: { name: 'CERTSRV_E_ADMIN_DENIED_REQUEST', meaning: 'a CA manager denied the request' },
  0x80091004: { name: 'CRYPT_E_INVALID_MSG_TYPE', meaning: 'the request format is not supported' },
  0x80070057: { name: 'E_INVALIDARG', meaning: 'an argument is invalid' },
  0x80070005: { name: 'E_ACCESSDENIED', meaning: 'access denied' },
};

/** 0x-prefixed, 8 uppercase hex digits, for a signed or unsigned 32-bit value. */
export function hresultToHex(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The signed 32-bit form (as on the wire) of a signed or unsigned value. */
export function hresultToSigned(value: number): number {
  return value | 0;
}

export function hresultName(value: number): string | undefined {
  return NAMES[value >>> 0]?.name;
}

export function hresultMeaning(value: number): string | undefined {
  return NAMES[value >>> 0]?.meaning;
}

/** "CERTSRV_E_TEMPLATE_DENIED (0x80094012)" or just the hex for an unknown code. */
export function describeHresult(value: number): string {
  const name = hresultName(value);
  return name ? `${name} (${hresultToHex(value)})` : hresultToHex(value);
}
