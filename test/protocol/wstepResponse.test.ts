import { describe, expect, it } from 'vitest';
import { CredentialError, EnrollmentDenied, ExitCode, ProtocolError } from '../../src/errors.js';
import { faultToError } from '../../src/protocol/soapFault.js';
import type { SoapFault } from '../../src/protocol/soapFault.js';
import { hresultToHex, hresultName, describeHresult } from '../../src/protocol/hresult.js';
import { parseWstepResponse } from '../../src/protocol/wstepResponse.js';
import type { WstepResponse } from '../../src/protocol/wstepResponse.js';
import { hasSharedFixtures, readSharedFixture, readSharedFixtureText } from '../helpers/sharedFixtures.js';

function base64Of(fixture: string): string {
  return readSharedFixtureText(fixture).replace(/\s+/g, '');
}
function b64(bytes: Uint8Array | undefined): string | undefined {
  return bytes && Buffer.from(bytes).toString('base64');
}
function fault(r: WstepResponse): SoapFault {
  if (r.kind !== 'fault') throw new Error(`expected a fault, got ${r.kind}`);
  return r.fault;
}

describe.skipIf(!hasSharedFixtures)('RSTRC captures', () => {
  it('adcs-rs spec example: issued with leaf, CMC response and RequestID 61', () => {
    const r = parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/standard_certificate_server_response.xml'));
    expect(r.kind).toBe('issued');
    if (r.kind !== 'issued') return;
    expect(r.requestId).toBe('61');
    expect(r.disposition).toBe('Issued');
    expect(b64(r.certificateDer)).toBe(base64Of('adcs-rs/wstep-rs/standard_certificate_server_response_bst_inner.cms'));
    expect(b64(r.pkcs7Der)).toBe(base64Of('adcs-rs/wstep-rs/standard_certificate_server_response_bst_outer.cms'));
  });

  it('adcs-rs renewal response: RequestID 63 (outer PKCS#7 is truncated upstream but still base64)', () => {
    const r = parseWstepResponse(readSharedFixture('adcs-rs/wstep-rs/renewal_server_response.xml'));
    expect(r).toMatchObject({ kind: 'issued', requestId: '63' });
    if (r.kind === 'issued') expect(b64(r.certificateDer)).toBe(base64Of('adcs-rs/wstep-rs/renewal_server_response_bst_inner.cms'));
  });

  it('takes the leaf out of a PKCS#7 placed in RequestedSecurityToken (pre-errata format)', () => {
    const outer = readSharedFixtureText('adcs-rs/wstep-rs/standard_certificate_server_response_bst_outer.cms');
    const xml = `<RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse><RequestedSecurityToken><BinarySecurityToken xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7">${outer}</BinarySecurityToken></RequestedSecurityToken><RequestID xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment">61</RequestID></RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>`;
    const r = parseWstepResponse(xml);
    expect(r.kind).toBe('issued');
    if (r.kind !== 'issued') return;
    expect(b64(r.certificateDer)).toBe(base64Of('adcs-rs/wstep-rs/standard_certificate_server_response_bst_inner.cms'));
    expect(b64(r.pkcs7Der)).toBe(outer.replace(/\s+/g, ''));
  });

  it('adcs-rs KET response: the CA exchange certificate', () => {
    const r = parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/key_exchange_token_server_response.xml'));
    expect(r).toMatchObject({ kind: 'issued', keyExchange: true, requestId: null });
    if (r.kind === 'issued') expect(b64(r.certificateDer)).toBe(base64Of('adcs-rs/wstep-rs/key_exchange_token_server_response.cms'));
  });

  it('cepces (bare ns3: RSTRC from a real CA): issued, RequestID 27, leaf = the issued cert', () => {
    const r = parseWstepResponse(readSharedFixtureText('cepces/SUBMIT_WSTEP_RESPONSE_XML.xml'));
    expect(r).toMatchObject({ kind: 'issued', requestId: '27', disposition: 'Issued' });
    const pem = readSharedFixtureText('cepces/ISSUED_CERT_PEM.pem').replace(/-----[^-]+-----|\s/g, '');
    if (r.kind === 'issued') expect(b64(r.certificateDer)).toBe(pem);
  });

  it('acme2certifier: issued before RequestedSecurityToken order, pending poll, bare denied RSTRC', () => {
    expect(parseWstepResponse(readSharedFixtureText('acme2certifier/wstep_issue_issued.xml'))).toMatchObject({ kind: 'issued', requestId: '42' });
    expect(parseWstepResponse(readSharedFixtureText('acme2certifier/wstep_poll_still_pending.xml'))).toEqual({
      kind: 'pending',
      requestId: '111',
      referenceUri: 'https://ces.example.com/TestCA_CES_Kerberos/service.svc/CES',
      disposition: 'Pending',
    });
    // No certificate and no reference: not issued; the RequestID is kept so a poll gets the verdict.
    expect(parseWstepResponse(readSharedFixtureText('acme2certifier/wstep_issue_denied.xml'))).toEqual({ kind: 'pending', requestId: '7', referenceUri: null, disposition: 'Denied' });
  });

  it('adcs_python: issued, pending with a 128-bit RequestID and CRLF-wrapped base64, query issued, KBR', () => {
    const issued = parseWstepResponse(readSharedFixtureText('adcs_python/captures/03-issue-username.response.xml'), 200);
    expect(issued).toMatchObject({ kind: 'issued', requestId: '0' });
    const pending = parseWstepResponse(readSharedFixtureText('adcs_python/captures/05-issue-pending.response.xml'), 200);
    expect(pending).toMatchObject({
      kind: 'pending',
      requestId: '69234011357509838665765755259933143976',
      referenceUri: 'https://127.0.0.1/CES/ADCSPy-Issuing-CA',
      disposition: 'Taken Under Submission',
    });
    if (pending.kind === 'pending') expect(pending.pkcs7Der?.[0]).toBe(0x30);
    for (const n of ['07-query-issued', '12-kbr-renew', '13-kbr-renew-same-key', '16-kbr-query-issued']) {
      expect(parseWstepResponse(readSharedFixtureText(`adcs_python/captures/${n}.response.xml`), 200).kind).toBe('issued');
    }
    expect(parseWstepResponse(readSharedFixtureText('adcs_python/captures/15-kbr-renew-pending.response.xml'), 200).kind).toBe('pending');
  });
});

describe.skipIf(!hasSharedFixtures)('SOAP fault captures', () => {
  it('adcs-rs CERTSRV_E_BAD_TEMPLATE_VERSION fault', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/fault_bad_template_version_server_response.xml'), 500));
    expect(f).toMatchObject({
      code: 'Receiver',
      reason: 'Denied by Policy Module',
      action: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RequestSecurityTokenCertificateEnrollmentWSDetailFault',
      category: 'ca-denied',
      detail: { hresult: -2146875385, hresultHex: '0x80094807', hresultName: 'CERTSRV_E_BAD_TEMPLATE_VERSION', requestId: '368', invalidRequest: true },
    });
    expect(b64(f.detail!.binaryResponseDer)).toBe('VkVoV2NsbFlUV2RqTWtZMVkzbENiMkZSUFQwPQ==');
    const error = faultToError(f);
    expect(error).toBeInstanceOf(EnrollmentDenied);
    expect(error.exitCode).toBe(ExitCode.DENIED);
    expect(error).toMatchObject({ hresult: -2146875385, requestId: '368', code: 'CA_DENIED' });
    expect(error.message).toContain('CERTSRV_E_BAD_TEMPLATE_VERSION (0x80094807)');
  });

  it('adcs-rs CERTSRV_E_RESTRICTEDOFFICER fault with an empty reason', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/fault_restricted_officer_server_response.xml')));
    expect(f).toMatchObject({ reason: '', category: 'ca-denied', detail: { hresult: -2146877431, hresultHex: '0x80094009', hresultName: 'CERTSRV_E_RESTRICTEDOFFICER', requestId: '28', invalidRequest: true } });
  });

  it('adcs-rs WCF internal fault: unhealthy endpoint', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/fault_server_response.xml')));
    expect(f).toMatchObject({ code: 'Receiver', subcode: 'InternalServiceFault', subcodeNamespace: 'http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher', category: 'internal' });
    expect(f.detail).toBeUndefined();
    expect(f.reason).toContain('<<serviceDebug>>');
    const error = faultToError(f, 'https://ces/CES');
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.exitCode).toBe(ExitCode.UNREACHABLE);
    expect(error.code).toBe('SOAP_SERVER_FAULT');
  });

  it('adcs-rs addressing fault (empty To)', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('adcs-rs/wstep-rs/fault_address_filter_mismatch_server_response.xml')));
    expect(f).toMatchObject({ code: 'Sender', subcode: 'DestinationUnreachable', subcodeNamespace: 'http://www.w3.org/2005/08/addressing', category: 'addressing' });
    expect(faultToError(f).code).toBe('SOAP_ADDRESSING_FAULT');
  });

  it('acme2certifier bare fault without header, subcode or detail', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('acme2certifier/soap_fault.xml')));
    expect(f).toEqual({ code: 'Receiver', reason: 'Authentication failed', category: 'internal' });
  });

  it('adcs_python admin-denied fault with a 128-bit RequestID and CRLF-wrapped BinaryResponse', () => {
    const f = fault(parseWstepResponse(readSharedFixtureText('adcs_python/captures/09-query-denied.response.xml'), 500));
    expect(f.detail).toMatchObject({ hresult: -2146877420, hresultName: 'CERTSRV_E_ADMIN_DENIED_REQUEST', requestId: '133823770553273093012617264509349118074', invalidRequest: true });
    expect(f.detail!.binaryResponseDer![0]).toBe(0x30);
    const f14 = fault(parseWstepResponse(readSharedFixtureText('adcs_python/captures/14-kbr-unsigned-pkcs10.response.xml'), 500));
    expect(f14.category).toBe('ca-denied');
  });

  it('a plain-text 500 body is a typed protocol error naming the status', () => {
    for (const n of ['17-query-unknown-id', '18-query-already-retrieved']) {
      const body = readSharedFixtureText(`adcs_python/captures/${n}.response.txt`);
      expect(() => parseWstepResponse(body, 500)).toThrow(expect.objectContaining({ code: 'HTTP_NOT_SOAP', message: expect.stringContaining('HTTP 500') }));
    }
    expect(() => parseWstepResponse(readSharedFixtureText('adcs_python/captures/11-kbr-getpolicies-nocert.response.html'), 403)).toThrow(ProtocolError);
  });
});

describe('WSTEP responses built by hand', () => {
  const rstrc = (inner: string) =>
    `<RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse>${inner}</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>`;

  it('decodes base64 wrapped with &#xD; and spaces, and refuses invalid base64', () => {
    const cert = Buffer.from('0123456789abcdef0123456789').toString('base64');
    const wrapped = `${cert.slice(0, 10)}&#xD;\n ${cert.slice(10)}`;
    const token = (text: string) =>
      rstrc(`<RequestedSecurityToken><BinarySecurityToken xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${text}</BinarySecurityToken></RequestedSecurityToken>`);
    const r = parseWstepResponse(token(wrapped));
    expect(r.kind === 'issued' && Buffer.from(r.certificateDer).toString()).toBe('0123456789abcdef0123456789');
    expect(() => parseWstepResponse(token('@@@@'))).toThrow(expect.objectContaining({ code: 'BASE64_INVALID' }));
  });

  it('refuses a response with neither certificate nor RequestID, and an unexpected element', () => {
    expect(() => parseWstepResponse(rstrc(''))).toThrow(expect.objectContaining({ code: 'WSTEP_NO_RESULT' }));
    expect(() => parseWstepResponse('<RequestSecurityTokenResponseCollection xmlns="urn:evil"/>')).toThrow(expect.objectContaining({ code: 'XML_UNEXPECTED_ELEMENT' }));
  });

  it('maps WS-Security faults to a credential error', () => {
    const f: SoapFault = { code: 'Sender', subcode: 'FailedAuthentication', subcodeNamespace: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd', reason: 'bad', category: 'security' };
    expect(faultToError(f)).toBeInstanceOf(CredentialError);
  });
});

describe('hresult', () => {
  it('formats signed and unsigned values and knows the common names', () => {
    expect(hresultToHex(-2146877422)).toBe('0x80094012');
    expect(hresultToHex(0x80094012)).toBe('0x80094012');
    expect(hresultName(-2146877422)).toBe('CERTSRV_E_TEMPLATE_DENIED');
    expect(hresultName(0x80094816)).toBe('CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY');
    expect(describeHresult(-1)).toBe('0xFFFFFFFF');
  });
});
