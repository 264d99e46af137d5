// The lab driven over raw HTTPS with hand-written SOAP and openssl-made requests: policy, immediate
// issuance, pending → approve/deny → retrieval, key-based renewal, and the Windows-shaped faults.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { parseWstepResponse } from '../../src/protocol/wstepResponse.js';
import type { WstepResponse } from '../../src/protocol/wstepResponse.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import {
  RST_ACTION,
  certPemFromResponse,
  cmsSign,
  csr,
  envelope,
  getPoliciesXml,
  issueXml,
  post,
  queryXml,
  renewalCsr,
  rsaKey,
  templateExtensionHex,
} from './rawClient.js';

const CEP = 'ADPolicyProvider_CEP_UsernamePassword';
const KBR_CEP = 'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate';
const CES = 'LAB-ISSUING-CA_CES_UsernamePassword';
const KBR_CES = 'LAB-ISSUING-CA_CES_Certificate';

function fault(response: WstepResponse) {
  if (response.kind !== 'fault') throw new Error(`expected a fault, got ${response.kind}`);
  return response.fault;
}
const hex = (signed: number | null | undefined) => (signed === null || signed === undefined ? undefined : `0x${(signed >>> 0).toString(16).toUpperCase()}`);

describe.skipIf(!hasOpenssl)('lab over raw HTTPS', () => {
  let lab: Lab;
  let work: string;
  let user: { username: string; password: string };
  const url = (name: string) => lab.endpoint(name).url;
  const tmpl = (name: string) => lab.templates.find((t) => t.name === name)!;
  const ext = (name: string) => templateExtensionHex(work, tmpl(name).oid, 100, 1);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lab-test-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0 });
    user = lab.users[0]!;
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the policy on the username CEP: three templates, one CA with a username and a renewal-only certificate CES', async () => {
    const answer = await post(url(CEP), getPoliciesXml(url(CEP), user), { ca: lab.trustBundlePem });
    expect(answer.status).toBe(200);
    const policy = parseGetPoliciesResponse(answer.body);
    expect(policy.policyId).toBe(lab.policyId);
    expect(policy.templates.map((t) => t.commonName)).toEqual(['LabWebServer', 'LabPending', 'LabKBRComputer', 'LabKBRShort']);
    const uris = policy.cas[0]!.enrollmentUris.map((u) => [u.authentication, u.uri, u.renewalOnly]);
    expect(uris).toEqual([
      ['username', url(CES), false],
      ['certificate', url(KBR_CES), true],
    ]);
  });

  it('answers policiesNotChanged to a client whose lastUpdate is newer than the policy', async () => {
    const answer = await post(url(CEP), getPoliciesXml(url(CEP), user, new Date(Date.now() + 60_000).toISOString()), { ca: lab.trustBundlePem });
    expect(parseGetPoliciesResponse(answer.body).policiesNotChanged).toBe(true);
  });

  it('issues LabWebServer at once: CMC response signed by the issuing CA, leaf chaining to the lab root, template validity to the second', async () => {
    const key = rsaKey(work, 'web');
    const request = csr(work, 'web', key, '/CN=web01.lab.test', ext('LabWebServer'), ['-addext', 'subjectAltName=DNS:web01.lab.test']);
    const answer = await post(url(CES), issueXml(url(CES), request, { user }), { ca: lab.trustBundlePem });
    expect(answer.status).toBe(200);
    const parsed = parseWstepResponse(answer.body, answer.status);
    if (parsed.kind !== 'issued') throw new Error(parsed.kind);
    expect(parsed.requestId).toMatch(/^[1-9][0-9]*$/);
    const cert = new X509Certificate(parsed.certificateDer);
    expect(cert.subject).toBe('CN=web01.lab.test');
    expect(cert.subjectAltName).toBe('DNS:web01.lab.test');
    expect((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000).toBe(tmpl('LabWebServer').validitySeconds);
    writeFileSync(join(work, 'web.pem'), cert.toString());
    writeFileSync(join(work, 'bundle.pem'), lab.trustBundlePem);
    expect(openssl(['verify', '-CAfile', join(work, 'bundle.pem'), join(work, 'web.pem')]).status).toBe(0);
    expect(openssl(['x509', '-in', join(work, 'web.pem'), '-noout', '-text']).stdout).toContain('1.3.6.1.4.1.311.21.7');
    writeFileSync(join(work, 'cmc.der'), parsed.pkcs7Der!);
    const verify = openssl(['cms', '-verify', '-inform', 'DER', '-in', join(work, 'cmc.der'), '-CAfile', join(work, 'bundle.pem'), '-purpose', 'any', '-out', join(work, 'cmc.content')]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(openssl(['asn1parse', '-inform', 'DER', '-in', join(work, 'cmc.content')]).stdout).toContain('1.3.6.1.4.1.311.21.17');
  });

  it('pends LabPending, answers still-pending with the CES reference, then issues after `approve`', async () => {
    const key = rsaKey(work, 'pend');
    const answer = await post(url(CES), issueXml(url(CES), csr(work, 'pend', key, '/CN=pend.lab.test', ext('LabPending')), { user }), { ca: lab.trustBundlePem });
    const pending = parseWstepResponse(answer.body, answer.status);
    if (pending.kind !== 'pending') throw new Error(pending.kind);
    expect(pending.referenceUri).toBe(url(CES));
    const still = parseWstepResponse((await post(url(CES), queryXml(url(CES), pending.requestId, user), { ca: lab.trustBundlePem })).body);
    expect(still).toMatchObject({ kind: 'pending', requestId: pending.requestId });
    await lab.approve(pending.requestId);
    const issued = parseWstepResponse((await post(url(CES), queryXml(url(CES), pending.requestId, user), { ca: lab.trustBundlePem })).body);
    expect(issued).toMatchObject({ kind: 'issued', requestId: pending.requestId });
  });

  it('answers a denied request with CERTSRV_E_ADMIN_DENIED_REQUEST and an unknown one with CERTSRV_E_PROPERTY_EMPTY', async () => {
    const key = rsaKey(work, 'deny');
    const answer = await post(url(CES), issueXml(url(CES), csr(work, 'deny', key, '/CN=deny.lab.test', ext('LabPending')), { user }), { ca: lab.trustBundlePem });
    const pending = parseWstepResponse(answer.body);
    if (pending.kind !== 'pending') throw new Error(pending.kind);
    await lab.deny(pending.requestId);
    const denied = await post(url(CES), queryXml(url(CES), pending.requestId, user), { ca: lab.trustBundlePem });
    expect(denied.status).toBe(500);
    const detail = fault(parseWstepResponse(denied.body, 500)).detail;
    expect(hex(detail?.hresult)).toBe('0x80094014');
    expect(detail?.requestId).toBe(pending.requestId);
    const unknown = await post(url(CES), queryXml(url(CES), '987654', user), { ca: lab.trustBundlePem });
    expect(hex(fault(parseWstepResponse(unknown.body, 500)).detail?.hresult)).toBe('0x80094004');
  });

  it('runs the key-based renewal story: initial request pends, renewal over the certificate CES is issued at once with the new key', async () => {
    const oldKey = rsaKey(work, 'kbr-old');
    const first = parseWstepResponse(
      (await post(url(CES), issueXml(url(CES), csr(work, 'kbr', oldKey, '/CN=ws01.lab.test', ext('LabKBRComputer')), { user }), { ca: lab.trustBundlePem })).body,
    );
    if (first.kind !== 'pending') throw new Error(first.kind);
    await lab.approve(first.requestId);
    const retrieved = await post(url(CES), queryXml(url(CES), first.requestId, user), { ca: lab.trustBundlePem });
    const oldPem = certPemFromResponse(retrieved.body);
    const tlsAuth = { ca: lab.trustBundlePem, cert: oldPem, key: readFileSync(oldKey, 'utf8') };

    expect((await post(url(KBR_CEP), getPoliciesXml(url(KBR_CEP)), { ca: lab.trustBundlePem })).status).toBe(403);
    const kbrPolicy = parseGetPoliciesResponse((await post(url(KBR_CEP), getPoliciesXml(url(KBR_CEP)), tlsAuth)).body);
    expect(kbrPolicy.policyId).toBe(lab.policyId);
    expect(kbrPolicy.templates.map((t) => t.commonName)).toEqual(['LabKBRComputer', 'LabKBRShort']);

    const newKey = rsaKey(work, 'kbr-new');
    const renewal = cmsSign(work, 'kbr', renewalCsr(work, 'kbr-renew', newKey, '/CN=ws01.lab.test', ext('LabKBRComputer'), oldPem), oldPem, oldKey);
    const answer = await post(url(KBR_CES), issueXml(url(KBR_CES), renewal, { cms: true }), tlsAuth);
    const renewed = parseWstepResponse(answer.body, answer.status);
    if (renewed.kind !== 'issued') throw new Error(JSON.stringify(renewed));
    const cert = new X509Certificate(renewed.certificateDer);
    expect(cert.subject).toBe('CN=ws01.lab.test');
    expect(cert.serialNumber).not.toBe(new X509Certificate(oldPem).serialNumber);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(ossPub(newKey));
    const entry = lab.requestLog().find((e) => e.requestId === renewed.requestId);
    expect(entry).toMatchObject({ endpoint: KBR_CES, auth: 'certificate', operation: 'Issue', outcome: 'issued', clientCertThumbprint: thumbprint(oldPem) });
  });

  describe('faults shaped like Windows', () => {
    it('bad password: HTTP 500, s:Sender with wsse:FailedAuthentication', async () => {
      const answer = await post(url(CEP), getPoliciesXml(url(CEP), { username: user.username, password: 'wrong' }), { ca: lab.trustBundlePem });
      expect(answer.status).toBe(500);
      const parsed = fault(parseWstepResponse(answer.body, 500));
      expect(parsed).toMatchObject({ code: 'Sender', subcode: 'FailedAuthentication', category: 'security' });
    });

    it.each([
      ['unknown template', () => csr(work, 'unknown', rsaKey(work, 'unknown'), '/CN=x', templateExtensionHex(work, '1.3.6.1.4.1.311.21.8.1.2.3', 1, 0)), '0x80094800'],
      ['key too short', () => csr(work, 'short', rsaKey(work, 'short', 1024), '/CN=x', ext('LabWebServer')), '0x80094811'],
      ['template version newer than the CA', () => csr(work, 'ver', rsaKey(work, 'ver'), '/CN=x', templateExtensionHex(work, tmpl('LabWebServer').oid, 101, 0)), '0x80094807'],
      ['unreadable request', () => Buffer.from('not a certificate request'), '0x8009310B'],
    ])('%s → CertificateEnrollmentWSDetail', async (_name, makeRequest, expected) => {
      const answer = await post(url(CES), issueXml(url(CES), makeRequest(), { user }), { ca: lab.trustBundlePem });
      expect(answer.status).toBe(500);
      const parsed = fault(parseWstepResponse(answer.body, 500));
      expect(parsed.action).toBe('http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RequestSecurityTokenCertificateEnrollmentWSDetailFault');
      expect(hex(parsed.detail?.hresult)).toBe(expected);
      expect(parsed.detail?.invalidRequest).toBe(true);
    });

    it('a CA denial carries the RequestID the CA assigned', async () => {
      const answer = await post(url(CES), issueXml(url(CES), csr(work, 'short2', rsaKey(work, 'short2', 1024), '/CN=x', ext('LabWebServer')), { user }), { ca: lab.trustBundlePem });
      expect(fault(parseWstepResponse(answer.body, 500)).detail?.requestId).toMatch(/^[0-9]+$/);
    });

    it('wrong or missing a:To: the AddressFilter mismatch fault', async () => {
      for (const to of ['', url(CEP).replace('CEP_UsernamePassword', 'CEP_Kerberos')]) {
        const answer = await post(url(CEP), getPoliciesXml(to, user), { ca: lab.trustBundlePem });
        expect(answer.status).toBe(500);
        expect(fault(parseWstepResponse(answer.body, 500))).toMatchObject({ code: 'Sender', subcode: 'DestinationUnreachable', category: 'addressing' });
      }
    });

    it('wrong action: ActionNotSupported', async () => {
      const answer = await post(url(CEP), envelope(RST_ACTION, url(CEP), '<x xmlns="urn:x"/>', user), { ca: lab.trustBundlePem });
      expect(answer.status).toBe(500);
      expect(fault(parseWstepResponse(answer.body, 500))).toMatchObject({ code: 'Sender', subcode: 'ActionNotSupported' });
    });

    it('unreadable XML: HTTP 400 without a body, as WCF', async () => {
      const answer = await post(url(CES), '<s:Envelope', { ca: lab.trustBundlePem });
      expect(answer.status).toBe(400);
    });
  });

  function ossPub(keyPath: string): string {
    return openssl(['pkey', '-in', keyPath, '-pubout']).stdout;
  }
});

function thumbprint(pem: string): string {
  return new X509Certificate(pem).fingerprint.replaceAll(':', '');
}
