// The requests we build validate against the MS-XCEP / MS-WSTEP schemas (fixtures/xsd, written
// from the specification appendices) plus the SOAP 1.2, WS-Addressing, WSS and WS-Trust pieces
// they use, with libxml2 (xmllint-wasm).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { buildGetPoliciesRequest, WINDOWS_REQUEST_FILTER } from '../../src/protocol/xcepRequest.js';
import { buildIssueRequest, buildQueryTokenStatusRequest } from '../../src/protocol/wstepRequest.js';
import { buildGetPoliciesResponse } from '../../src/protocol/xcepResponseBuilder.js';
import { generatePolicyResponse } from './policyGenerator.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';

const xsdDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'xsd');
const preload = readdirSync(xsdDir)
  .filter((f) => f.endsWith('.xsd') && f !== 'all.xsd')
  .map((fileName) => ({ fileName, contents: readFileSync(join(xsdDir, fileName), 'utf8') }));
const driver = { fileName: 'all.xsd', contents: readFileSync(join(xsdDir, 'all.xsd'), 'utf8') };

async function validate(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'message.xml', contents: xml }], schema: [driver], preload });
  return result.errors.map((e) => e.rawMessage);
}

const now = new Date('2025-01-01T00:00:00Z');
const token = { username: 'CONTOSO\\enroll', password: 'p<&>"\'ss' };
const CEP = 'https://cepces.contoso.com:49999/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP';
const CES = 'https://cepces.contoso.com:49999/ENTCA_CES_UsernamePassword/service.svc/CES';
const der = new Uint8Array([0x30, 0x82, 0x01, 0x00, 1, 2, 3]);

describe('our messages validate against the XSDs', () => {
  it('GetPolicies: nil filter with UsernameToken, Windows filter, OID filter with lastUpdate', async () => {
    expect(await validate(buildGetPoliciesRequest({ to: CEP, usernameToken: token, now }))).toEqual([]);
    expect(await validate(buildGetPoliciesRequest({ to: CEP, requestFilter: WINDOWS_REQUEST_FILTER, preferredLanguage: 'en-US' }))).toEqual([]);
    expect(await validate(buildGetPoliciesRequest({ to: CEP, lastUpdate: now, requestFilter: { policyOids: ['1.3.6.1.4.1.311.21.8.1'] } }))).toEqual([]);
  });

  it('RST Issue (PKCS#10 with template context, PKCS#7 renewal without credentials) and QueryTokenStatus', async () => {
    const context = [{ name: 'CertificateTemplate', value: 'Machine' }];
    expect(await validate(buildIssueRequest({ to: CES, payloadDer: der, payloadType: 'pkcs10', additionalContext: context, usernameToken: token, now }))).toEqual([]);
    expect(await validate(buildIssueRequest({ to: CES, payloadDer: der, payloadType: 'pkcs7' }))).toEqual([]);
    expect(await validate(buildQueryTokenStatusRequest({ to: CES, requestId: '69234011357509838665765755259933143976', usernameToken: token, now }))).toEqual([]);
  });

  it('a generated GetPoliciesResponse', async () => {
    expect(await validate(buildGetPoliciesResponse(generatePolicyResponse(3), { relatesTo: 'urn:uuid:1' }))).toEqual([]);
  });

  it('catches a broken message (so the checks above can fail)', async () => {
    const broken = buildGetPoliciesRequest({ to: CEP }).replace(/<client>.*<\/client>/, '');
    expect((await validate(broken)).join('\n')).toMatch(/client/);
    const badType = buildIssueRequest({ to: CES, payloadDer: der, payloadType: 'pkcs10' }).replace('xsi:nil="true"/>', '><x/></wstep:RequestID>');
    expect(await validate(badType)).not.toEqual([]);
  });
});

describe.skipIf(!hasSharedFixtures)('the schemas accept real server messages', () => {
  it.each([
    'adcs_python/captures/01-getpolicies-username.response.xml',
    'adcs-rs/wstep-rs/standard_certificate_server_response.xml',
    'adcs-rs/wstep-rs/fault_bad_template_version_server_response.xml',
    'adcs-rs/wstep-rs/retrieve_pended_certificate_request.xml',
  ])('%s', async (name) => {
    expect(await validate(readSharedFixtureText(...name.split('/')))).toEqual([]);
  });
});
