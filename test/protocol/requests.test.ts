import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError, ProtocolError } from '../../src/errors.js';
import { ACTION, ENCODING_TYPE_BASE64, NS, PASSWORD_TYPE, VALUE_TYPE } from '../../src/protocol/namespaces.js';
import { parseSoapRequest } from '../../src/protocol/soap.js';
import { buildGetPoliciesRequest, parseGetPoliciesRequest, WINDOWS_REQUEST_FILTER } from '../../src/protocol/xcepRequest.js';
import { buildIssueRequest, buildQueryTokenStatusRequest, parseRequestSecurityToken } from '../../src/protocol/wstepRequest.js';
import { child, parseXml } from '../../src/protocol/xml.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const CEP = 'https://cepces.contoso.com:49999/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP';
const CES = 'https://cepces.contoso.com:49999/ENTCA_CES_UsernamePassword/service.svc/CES';
const now = new Date('2025-01-01T00:00:00.000Z');

// Any string XML 1.0 can carry.
const xmlString = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s));

describe('GetPolicies request', () => {
  it('has the addressing and WS-Security headers Windows sends', () => {
    const xml = buildGetPoliciesRequest({ to: CEP, messageId: 'urn:uuid:1', usernameToken: { username: 'CONTOSO\\enroll', password: 'p&ss' }, now });
    const request = parseSoapRequest(xml);
    expect(request).toMatchObject({
      action: ACTION.getPolicies,
      messageId: 'urn:uuid:1',
      to: CEP,
      replyTo: 'http://www.w3.org/2005/08/addressing/anonymous',
      usernameToken: { username: 'CONTOSO\\enroll', password: 'p&ss', passwordType: PASSWORD_TYPE.text },
      timestamp: { created: now, expires: new Date('2025-01-01T00:05:00.000Z') },
    });
    const header = child(parseXml(xml), NS.soap, 'Header')!;
    expect(child(header, NS.wsa, 'Action')!.attrs[`{${NS.soap}}mustUnderstand`]).toBe('1');
    expect(child(header, NS.wsa, 'To')!.attrs[`{${NS.soap}}mustUnderstand`]).toBe('1');
    expect(child(header, NS.wsse, 'Security')!.attrs[`{${NS.soap}}mustUnderstand`]).toBe('1');
    expect(xml).toContain('<wsu:Created>2025-01-01T00:00:00.000Z</wsu:Created>');
    expect(parseGetPoliciesRequest(request.body)).toEqual({ lastUpdate: null, preferredLanguage: null, requestFilter: null });
  });

  it('leaves the Security header out without credentials and generates a uuid MessageID', () => {
    const request = parseSoapRequest(buildGetPoliciesRequest({ to: CEP }));
    expect(request.usernameToken).toBeUndefined();
    expect(request.timestamp).toBeUndefined();
    expect(request.messageId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('round-trips lastUpdate, language and the Windows request filter', () => {
    const input = { lastUpdate: new Date('2024-06-01T12:00:00Z'), preferredLanguage: 'en-US', requestFilter: WINDOWS_REQUEST_FILTER };
    const parsed = parseGetPoliciesRequest(parseSoapRequest(buildGetPoliciesRequest({ to: CEP, ...input })).body);
    expect(parsed).toEqual(input);
    const oids = { policyOids: ['1.2.3', '1.2.4'], clientVersion: null, serverVersion: 2 };
    expect(parseGetPoliciesRequest(parseSoapRequest(buildGetPoliciesRequest({ to: CEP, requestFilter: oids })).body).requestFilter).toEqual(oids);
  });

  it('refuses a GetPolicies without client', () => {
    const body = parseXml('<GetPolicies xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"/>');
    expect(() => parseGetPoliciesRequest(body)).toThrow(ProtocolError);
  });

  it('refuses a GetPolicies element in a wrong namespace', () => {
    expect(() => parseGetPoliciesRequest(parseXml('<GetPolicies xmlns="urn:evil"><client/></GetPolicies>'))).toThrow(/expected/);
  });

  it('property: no username or password can break out of the envelope, and both round-trip exactly', () => {
    fc.assert(
      fc.property(xmlString, xmlString, fc.webUrl(), (username, password, to) => {
        const request = parseSoapRequest(buildGetPoliciesRequest({ to, usernameToken: { username, password }, now }));
        expect(request.usernameToken).toEqual({ username, password, passwordType: PASSWORD_TYPE.text });
        expect(request.to).toBe(to);
        expect(request.body.local).toBe('GetPolicies');
        // Exactly one token, one Username, one Password: nothing was injected.
        const root = parseXml(buildGetPoliciesRequest({ to, usernameToken: { username, password }, now }));
        const security = child(child(root, NS.soap, 'Header'), NS.wsse, 'Security')!;
        expect(security.children.map((c) => c.local)).toEqual(['Timestamp', 'UsernameToken']);
        expect(security.children[1]!.children.map((c) => c.local)).toEqual(['Username', 'Password']);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a password XML cannot carry is refused with a typed error that does not echo it', () => {
    fc.assert(
      fc.property(xmlString, fc.constantFrom('\u0000', '\u0001', '\u000B', '\uFFFF', '\uD800'), xmlString, (a, bad, b) => {
        const password = `${a}${bad}${b}`;
        let error: unknown;
        try {
          buildGetPoliciesRequest({ to: CEP, usernameToken: { username: 'u', password } });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InputError);
        if (password.length > 3) expect((error as InputError).message).not.toContain(password);
      }),
      { numRuns: 100 },
    );
  });
});

describe('RequestSecurityToken requests', () => {
  it('builds an Issue request with PKCS#10, template context and a nil RequestID', () => {
    const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
    const xml = buildIssueRequest({
      to: CES,
      payloadDer: der,
      payloadType: 'pkcs10',
      additionalContext: [{ name: 'CertificateTemplate', value: 'Machine' }],
      usernameToken: { username: 'u', password: 'p' },
      preferredLanguage: 'en-US',
      now,
    });
    const request = parseSoapRequest(xml);
    expect(request.action).toBe(ACTION.wstepRequest);
    expect(request.to).toBe(CES);
    expect(parseRequestSecurityToken(request.body)).toEqual({
      requestType: 'issue',
      tokenType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3',
      binarySecurityToken: { valueType: VALUE_TYPE.pkcs10, encodingType: ENCODING_TYPE_BASE64, der },
      additionalContext: [{ name: 'CertificateTemplate', value: 'Machine' }],
      requestId: null,
      preferredLanguage: 'en-US',
    });
    expect(xml).toContain('xsi:nil="true"');
    expect(xml).not.toContain('AdditionalContext/>');
  });

  it('uses the #PKCS7 ValueType for a renewal and leaves out an empty AdditionalContext', () => {
    const xml = buildIssueRequest({ to: CES, payloadDer: new Uint8Array([1, 2, 3]), payloadType: 'pkcs7', additionalContext: [] });
    const rst = parseRequestSecurityToken(parseSoapRequest(xml).body);
    expect(rst.binarySecurityToken?.valueType).toBe(VALUE_TYPE.pkcs7);
    expect(xml).not.toContain('AdditionalContext');
    expect(parseSoapRequest(xml).usernameToken).toBeUndefined();
  });

  it('builds QueryTokenStatus with a 128-bit RequestID kept as a string', () => {
    const id = '69234011357509838665765755259933143976';
    const rst = parseRequestSecurityToken(parseSoapRequest(buildQueryTokenStatusRequest({ to: CES, requestId: id })).body);
    expect(rst).toMatchObject({ requestType: 'queryTokenStatus', requestId: id, additionalContext: [] });
    expect(rst.binarySecurityToken).toBeUndefined();
    expect(() => buildQueryTokenStatusRequest({ to: CES, requestId: ' ' })).toThrow(ProtocolError);
  });

  it('property: parse(build(x)) == x for Issue requests', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.constantFrom('pkcs10' as const, 'pkcs7' as const),
        fc.array(fc.record({ name: xmlString, value: xmlString }), { maxLength: 4 }),
        (der, payloadType, additionalContext) => {
          const rst = parseRequestSecurityToken(parseSoapRequest(buildIssueRequest({ to: CES, payloadDer: der, payloadType, additionalContext })).body);
          expect(rst.binarySecurityToken?.der).toEqual(der);
          expect(rst.additionalContext).toEqual(additionalContext);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe.skipIf(!hasSharedFixtures)('third-party requests parse', () => {
  it('adcs-rs spec-example Issue, renewal, QueryTokenStatus and KET requests', () => {
    const issue = parseSoapRequest(readSharedFixtureText('adcs-rs/wstep-rs/standard_certificate_client_request.xml'));
    expect(issue.messageId).toBe('urn:uuid:b5d1a601-5091-4a7d-b34b-5204c18b5919');
    const issueRst = parseRequestSecurityToken(issue.body);
    expect(issueRst.requestType).toBe('issue');
    expect(issueRst.binarySecurityToken?.valueType).toBe(VALUE_TYPE.pkcs7);
    expect(issueRst.binarySecurityToken?.der[0]).toBe(0x30);
    expect(issueRst.requestId).toBeNull();

    const renewal = parseRequestSecurityToken(parseSoapRequest(readSharedFixtureText('adcs-rs/wstep-rs/renewal_client_request.xml')).body);
    expect(renewal.requestType).toBe('issue');
    expect(renewal.binarySecurityToken!.der.byteLength).toBeGreaterThan(4000);

    const query = parseRequestSecurityToken(parseSoapRequest(readSharedFixtureText('adcs-rs/wstep-rs/retrieve_pended_certificate_request.xml')).body);
    expect(query).toMatchObject({ requestType: 'queryTokenStatus', requestId: '65' });

    const ket = parseSoapRequest(readSharedFixtureText('adcs-rs/wstep-rs/key_exchange_token_client_request.xml'));
    expect(ket.action).toBe(ACTION.ketRequest);
    expect(parseRequestSecurityToken(ket.body).requestType).toBe('ket');
  });

  it('adcs_python driver requests (GetPolicies with UsernameToken, Issue, QueryTokenStatus, KBR renewal)', () => {
    const getPolicies = parseSoapRequest(readSharedFixtureText('adcs_python/captures/01-getpolicies-username.request.xml'));
    expect(getPolicies.usernameToken).toMatchObject({ username: 'testuser', password: 'Test-Passw0rd-1' });
    expect(getPolicies.to).toBe('https://127.0.0.1:47443/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP');
    parseGetPoliciesRequest(getPolicies.body);
    const issue = parseRequestSecurityToken(parseSoapRequest(readSharedFixtureText('adcs_python/captures/03-issue-username.request.xml')).body);
    expect(issue.binarySecurityToken?.valueType).toBe(VALUE_TYPE.pkcs10);
    const context = parseRequestSecurityToken(parseSoapRequest(readSharedFixtureText('adcs_python/captures/04-issue-template-in-context-only.request.xml')).body);
    expect(context.additionalContext).toContainEqual(expect.objectContaining({ name: 'CertificateTemplate' }));
    const query = parseRequestSecurityToken(parseSoapRequest(readSharedFixtureText('adcs_python/captures/06-query-still-pending.request.xml')).body);
    expect(query.requestId).toBe('69234011357509838665765755259933143976');
    const kbr = parseSoapRequest(readSharedFixtureText('adcs_python/captures/12-kbr-renew.request.xml'));
    expect(kbr.usernameToken).toBeUndefined();
    expect(parseRequestSecurityToken(kbr.body).binarySecurityToken?.valueType).toBe(VALUE_TYPE.pkcs7);
  });
});
