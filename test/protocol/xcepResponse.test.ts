import { describe, expect, it } from 'vitest';
import { EnrollmentDenied, ProtocolError } from '../../src/errors.js';
import { casForTemplate, findTemplate } from '../../src/protocol/policyModel.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { hasSharedFixtures, readSharedFixture, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const XCEP = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy';

describe.skipIf(!hasSharedFixtures)('GetPoliciesResponse captures', () => {
  it('cepces (real AD CS, bare ns0: body): template Machine with its periods, Kerberos CES priority 1', () => {
    const policy = parseGetPoliciesResponse(readSharedFixtureText('cepces/GET_POLICIES_RESPONSE_XML.xml'));
    expect(policy.policyId).toBe('{DA239A97-1289-4B14-924F-B318D56ED254}');
    expect(policy.policyFriendlyName).toBeNull();
    expect(policy.nextUpdateHours).toBe(8);
    expect(policy.policiesNotChanged).toBeNull();
    expect(policy.templates).toHaveLength(1);
    const machine = policy.templates[0]!;
    expect(machine).toMatchObject({
      commonName: 'Machine',
      schemaVersion: 1,
      validitySeconds: 31536000,
      renewalSeconds: 3628800,
      permission: { enroll: true, autoEnroll: false },
      keyRequirements: { minimalKeyLength: 2048, keySpec: 1, keyUsageProperty: null, permissions: null, algorithmOid: null, cryptoProviders: ['Microsoft RSA SChannel Cryptographic Provider'] },
      revision: { major: 5, minor: 1 },
      supersededTemplates: [],
      privateKeyFlags: 0,
      subjectNameFlags: 402653184,
      enrollmentFlags: 0,
      generalFlags: 66144,
      hashAlgorithmOid: null,
      rARequirements: null,
      keyArchival: null,
      caReferences: [0],
    });
    // 402653184 = 0x18000000: CA puts dNSHostName in the SAN and as CN; the enrollee supplies nothing.
    expect(machine.flags.subjectName).toMatchObject({ subjectAltRequireDns: true, subjectRequireDnsAsCn: true, enrolleeSuppliesSubject: false });
    // 66144 = 0x10260: machine type, auto-enrollment, add template name, is default.
    expect(machine.flags.general).toMatchObject({ machineType: true, autoEnrollment: true, addTemplateName: true, isDefault: true, isCa: false });
    // The trimmed capture references template OID 13, which it does not list.
    expect(machine.oidReference).toBe(13);
    expect(machine.oid).toBeNull();
    expect(machine.extensions).toEqual([{ oid: null, name: null, oidReference: 5, critical: false, valueDer: new Uint8Array(Buffer.from('Hg4ATQBhAGMAaABpAG4AZQ==', 'base64')) }]);

    expect(policy.cas).toHaveLength(1);
    const ca = policy.cas[0]!;
    expect(ca.referenceId).toBe(0);
    expect(ca.enrollPermission).toBe(true);
    expect(ca.enrollmentUris).toEqual([
      { uri: 'https://win-ca01.mars.milkyway.site/MARS-ROOT-CA_CES_Kerberos/service.svc/CES', clientAuthentication: 2, authentication: 'kerberos', priority: 1, renewalOnly: false },
    ]);
    const pem = readSharedFixtureText('cepces/MARS_ROOT_CA_PEM.pem').replace(/-----[^-]+-----|\s/g, '');
    expect(Buffer.from(ca.certificateDer).toString('base64')).toBe(pem);
    expect(casForTemplate(policy, machine)).toEqual([ca]);
    expect(policy.oids).toEqual([{ referenceId: 4, value: '1.3.6.1.5.5.7.3.2', group: 7, defaultName: 'Client Authentication' }]);
  });

  it('cepces fuller response resolves template OID and extension OIDs', () => {
    const policy = parseGetPoliciesResponse(readSharedFixture('cepces/GET_SUPPORTED_TEMPLATES_XML.xml'));
    const machine = findTemplate(policy, 'Machine')!;
    expect(machine.oid).toEqual({ value: '1.3.6.1.4.1.311.21.8.391007.14191702.9126033.6337603.8513481.227.1.14', defaultName: 'Computer', group: 9 });
    expect(findTemplate(policy, '1.3.6.1.4.1.311.21.8.391007.14191702.9126033.6337603.8513481.227.1.14')).toBe(machine);
    expect(machine.extensions.map((e) => [e.oid, e.name, e.critical])).toEqual([
      ['1.3.6.1.4.1.311.20.2', 'Certificate Template Name', false],
      ['2.5.29.37', 'Enhanced Key Usage', false],
      ['2.5.29.15', 'Key Usage', true],
    ]);
    expect(Array.from(machine.extensions[2]!.valueDer)).toEqual([0x03, 0x02, 0x05, 0xa0]);
    expect(policy.oids).toHaveLength(6);
  });

  it('cepces misconfigured server: nil policies, cAs and oIDs', () => {
    const policy = parseGetPoliciesResponse(readSharedFixtureText('cepces/GET_POLICIES_NIL_POLICIES_XML.xml'));
    expect(policy).toEqual({
      policyId: '{F803BF1A-EB36-42A4-973C-AF4555EB8782}',
      policyFriendlyName: 'My PKI',
      nextUpdateHours: 1,
      policiesNotChanged: null,
      templates: [],
      cas: [],
      oids: [],
    });
  });

  it('acme2certifier minimal envelope: two templates with few attributes, OID references unresolved', () => {
    const policy = parseGetPoliciesResponse(readSharedFixtureText('acme2certifier/xcep_get_policies_response.xml'));
    expect(policy.policyFriendlyName).toBe('Test Enrollment Policy');
    expect(policy.templates.map((t) => [t.commonName, t.schemaVersion, t.permission.enroll, t.validitySeconds, t.oid])).toEqual([
      ['WebServer', 3, true, null, null],
      ['User', 3, true, null, null],
    ]);
    expect(policy.templates[0]!.keyRequirements.cryptoProviders).toEqual([]);
    expect(policy.cas[0]!.enrollmentUris[0]).toMatchObject({ clientAuthentication: 2, authentication: 'kerberos', priority: 1, renewalOnly: false });
  });

  it('adcs_python (ns2: prefixes, full envelope): flags, algorithms, extensions, username CES', () => {
    const policy = parseGetPoliciesResponse(readSharedFixtureText('adcs_python/captures/01-getpolicies-username.response.xml'));
    expect(policy.templates.map((t) => t.commonName)).toEqual(['ADCSPyUser', 'ADCSPyPending']);
    const user = policy.templates[0]!;
    expect(user).toMatchObject({ validitySeconds: 3600, renewalSeconds: 1800, privateKeyFlags: 16, subjectNameFlags: 9, enrollmentFlags: 65600 });
    expect(user.oid?.value).toBe('1.3.6.1.4.1.311.21.8.7777777.1');
    expect(user.flags.subjectName).toMatchObject({ enrolleeSuppliesSubject: true, oldCertSuppliesSubjectAndAltName: true });
    expect(user.flags.enrollment).toMatchObject({ allowKeyBasedRenewal: true, previousApprovalValidateReenrollment: true, pendAllRequests: false });
    expect(user.flags.privateKey.exportableKey).toBe(true);
    expect(user.keyRequirements.algorithmOid?.group).toBe(3);
    expect(user.hashAlgorithmOid?.group).toBe(1);
    expect(user.extensions.map((e) => e.oid)).toContain('1.3.6.1.4.1.311.21.7');
    expect(policy.templates[1]!.flags.enrollment.pendAllRequests).toBe(true);
    expect(policy.cas[0]!.enrollmentUris[0]).toMatchObject({ clientAuthentication: 4, authentication: 'username', renewalOnly: false });
    expect(policy.oids.map((o) => o.referenceId)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const kbr = parseGetPoliciesResponse(readSharedFixtureText('adcs_python/captures/10-kbr-getpolicies-clientcert.response.xml'));
    expect(kbr.policyId).toBe(policy.policyId);
    expect(kbr.cas[0]!.enrollmentUris[0]).toMatchObject({ clientAuthentication: 8, authentication: 'certificate', renewalOnly: true });
  });
});

describe('GetPoliciesResponse edge cases', () => {
  const wrap = (inner: string) =>
    `<GetPoliciesResponse xmlns="${XCEP}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><response><policyID>{X}</policyID>${inner}</response><cAs xsi:nil="true"/><oIDs xsi:nil="true"/></GetPoliciesResponse>`;

  it('reads policiesNotChanged=true', () => {
    expect(parseGetPoliciesResponse(wrap('<policiesNotChanged>true</policiesNotChanged><policies xsi:nil="true"/>')).policiesNotChanged).toBe(true);
  });

  it('refuses a GetPoliciesResponse in a wrong namespace', () => {
    expect(() => parseGetPoliciesResponse('<GetPoliciesResponse xmlns="urn:evil"><response/></GetPoliciesResponse>')).toThrow(ProtocolError);
  });

  it('does not count policies in a foreign namespace', () => {
    const policy = parseGetPoliciesResponse(wrap('<policies><x:policy xmlns:x="urn:evil"><attributes><commonName>Evil</commonName></attributes></x:policy></policies>'));
    expect(policy.templates).toEqual([]);
  });

  it('refuses a missing policyID, a bad number, a bad boolean and bad base64', () => {
    const err = (xml: string) => {
      try {
        parseGetPoliciesResponse(xml);
      } catch (e) {
        return (e as ProtocolError).code;
      }
      return 'none';
    };
    expect(err(`<GetPoliciesResponse xmlns="${XCEP}"><response/></GetPoliciesResponse>`)).toBe('XCEP_MISSING_ELEMENT');
    expect(err(wrap('<nextUpdateHours>eight</nextUpdateHours>'))).toBe('XCEP_BAD_VALUE');
    expect(err(wrap('<policiesNotChanged>maybe</policiesNotChanged>'))).toBe('XCEP_BAD_VALUE');
    expect(
      err(`<GetPoliciesResponse xmlns="${XCEP}"><response><policyID>x</policyID></response><cAs><cA><uris/><certificate>not base64!</certificate><cAReferenceID>0</cAReferenceID></cA></cAs></GetPoliciesResponse>`),
    ).toBe('BASE64_INVALID');
  });

  it('throws the mapped error when the server answers with a fault', () => {
    const fault = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">boom</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    expect(() => parseGetPoliciesResponse(fault)).toThrow(/internal error/);
    const denied = fault.replace('</s:Reason>', `</s:Reason><s:Detail><CertificateEnrollmentWSDetail xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment"><ErrorCode>-2147024891</ErrorCode></CertificateEnrollmentWSDetail></s:Detail>`);
    expect(() => parseGetPoliciesResponse(denied)).toThrow(EnrollmentDenied);
  });
});
