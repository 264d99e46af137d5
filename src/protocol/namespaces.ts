// Every namespace, action and type URI of the CEP/CES wire format (protocol.md §1.2, §1.5, §1.6, §3).
// Prefixes are ours and arbitrary: parsing always compares URIs.

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xcep: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
  wst: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  wstep: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
  auth: 'http://schemas.xmlsoap.org/ws/2006/12/authorization',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wcfDiagnostics: 'http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics',
  wcfDispatcher: 'http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher',
} as const;

/** The prefixes our builders write (any prefix is accepted when parsing). */
export const PREFIX = {
  s: NS.soap,
  a: NS.wsa,
  xsi: NS.xsi,
  wsse: NS.wsse,
  wsu: NS.wsu,
  wst: NS.wst,
  wstep: NS.wstep,
  xcep: NS.xcep,
  ac: NS.auth,
} as const;

export const ACTION = {
  getPolicies: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
  getPoliciesResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse',
  /** WSTEP Issue and QueryTokenStatus requests share one action. */
  wstepRequest: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep',
  wstepResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep',
  ketRequest: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/KET',
  ketResponse: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTR/KETFinal',
  enrollmentFault: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RequestSecurityTokenCertificateEnrollmentWSDetailFault',
  wcfDispatcherFault: 'http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher/fault',
  addressingFault: 'http://www.w3.org/2005/08/addressing/soap/fault',
} as const;

export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

export const REQUEST_TYPE = {
  issue: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
  queryTokenStatus: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/QueryTokenStatus',
  ket: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/KET',
} as const;

export const TOKEN_TYPE_X509V3 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';

export const VALUE_TYPE = {
  pkcs10: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10',
  pkcs7: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7',
  x509v3: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3',
} as const;

/** The EncodingType Windows sends (lowercase "b", secext document); IIS rejects a missing one. */
export const ENCODING_TYPE_BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary';
/** The WSS standard spelling, accepted when parsing. */
export const ENCODING_TYPE_BASE64_WSS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export const PASSWORD_TYPE = {
  text: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText',
  digest: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest',
} as const;
