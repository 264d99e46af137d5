// The HRESULTs the lab's CA answers with (protocol.md §3.5, MS-ERREF §2.1), as unsigned values;
// the wire carries them as signed decimals (toSignedHresult).
export const HRESULT = {
  /** Unknown/unpublished template or no template identifier in the request. */
  CERTSRV_E_UNSUPPORTED_CERT_TYPE: 0x80094800,
  /** Template identifiers in the request disagree, or a renewal names another template than the old certificate. */
  CERTSRV_E_TEMPLATE_CONFLICT: 0x80094802,
  /** Request carries a newer template version than the CA's copy. */
  CERTSRV_E_BAD_TEMPLATE_VERSION: 0x80094807,
  CERTSRV_E_KEY_LENGTH: 0x80094811,
  /** No permission to enroll (here: key-based renewal) for this template. */
  CERTSRV_E_TEMPLATE_DENIED: 0x80094012,
  /** QueryTokenStatus for a request ID the CA does not hold. */
  CERTSRV_E_PROPERTY_EMPTY: 0x80094004,
  CERTSRV_E_ADMIN_DENIED_REQUEST: 0x80094014,
  /** Renewal-only CES got a new request, or the renewal's signer is not the TLS client certificate. */
  CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE: 0x8009400e,
  CERTSRV_E_BAD_RENEWAL_SUBJECT: 0x80094806,
  CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY: 0x80094816,
  CERTSRV_E_BAD_REQUESTSUBJECT: 0x80094001,
  /** Unreadable request body (not PKCS#10, CMS or CMC; bad signature). */
  CRYPT_E_ASN1_BADTAG: 0x8009310b,
  NTE_BAD_SIGNATURE: 0x80090006,
  CRYPT_E_INVALID_MSG_TYPE: 0x80091004,
  CERT_E_EXPIRED: 0x800b0101,
  /** Client certificate does not chain to a CA this service trusts. */
  CERT_E_UNTRUSTEDROOT: 0x800b0109,
  CERT_E_WRONG_USAGE: 0x800b0110,
  CRYPT_E_REVOKED: 0x80092010,
  E_INVALIDARG: 0x80070057,
} as const;

export type HresultName = keyof typeof HRESULT;

export function toSignedHresult(value: number): number {
  return value | 0;
}
