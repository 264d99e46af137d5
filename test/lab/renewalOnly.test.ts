// The renewal-only + AllowKeyBasedRenewal CES refuses everything but a renewal signed by the key
// of the TLS client certificate that this CA issued and that is still valid — each refusal with
// the HRESULT Windows uses.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { defaultTemplates } from '../../src/lab/templates.js';
import { parseWstepResponse } from '../../src/protocol/wstepResponse.js';
import { hasOpenssl } from '../helpers/tools.js';
import { certPemFromResponse, cmsSign, csr, issueXml, ossl, post, queryXml, renewalCsr, rsaKey, templateExtensionHex } from './rawClient.js';

const CES = 'LAB-ISSUING-CA_CES_UsernamePassword';
const KBR_CES = 'LAB-ISSUING-CA_CES_Certificate';
const SHORT_OID = '1.3.6.1.4.1.311.21.8.7510143.1436283.1.99';

describe.skipIf(!hasOpenssl)('renewal-only certificate CES', () => {
  let lab: Lab;
  let work: string;
  const url = (name: string) => lab.endpoint(name).url;
  const holders: Record<string, { pem: string; key: string; ext: string; subject: string }> = {};

  async function enroll(name: string, oid: string, subject: string) {
    const key = rsaKey(work, name);
    const ext = templateExtensionHex(work, oid, 100, 1);
    const user = lab.users[0]!;
    const answer = parseWstepResponse((await post(url(CES), issueXml(url(CES), csr(work, name, key, subject, ext), { user }), { ca: lab.trustBundlePem })).body);
    if (answer.kind === 'pending') await lab.approve(answer.requestId);
    const id = answer.kind === 'fault' ? '' : (answer.requestId ?? '');
    const retrieved = await post(url(CES), queryXml(url(CES), id, user), { ca: lab.trustBundlePem });
    holders[name] = { pem: certPemFromResponse(retrieved.body), key, ext, subject };
  }

  async function renew(tlsHolder: string, options: { signer?: string; subject?: string; plainCsr?: boolean } = {}) {
    const tls = holders[tlsHolder]!;
    const signer = holders[options.signer ?? tlsHolder]!;
    const newKey = rsaKey(work, `${tlsHolder}-new`);
    const subject = options.subject ?? tls.subject;
    const body = options.plainCsr
      ? issueXml(url(KBR_CES), csr(work, `${tlsHolder}-plain`, newKey, subject, tls.ext))
      : issueXml(url(KBR_CES), cmsSign(work, tlsHolder, renewalCsr(work, `${tlsHolder}-r`, newKey, subject, tls.ext, signer.pem), signer.pem, signer.key), { cms: true });
    const answer = await post(url(KBR_CES), body, { ca: lab.trustBundlePem, cert: tls.pem, key: readFileSync(tls.key, 'utf8') });
    return { status: answer.status, parsed: parseWstepResponse(answer.body, answer.status) };
  }

  function hresultOf(result: Awaited<ReturnType<typeof renew>>): string {
    expect(result.status).toBe(500);
    if (result.parsed.kind !== 'fault') throw new Error(result.parsed.kind);
    return `0x${((result.parsed.fault.detail?.hresult ?? 0) >>> 0).toString(16).toUpperCase()}`;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lab-kbr-'));
    const templates = [
      ...defaultTemplates(),
      // Issues at once, lives 2 seconds: the expired-certificate case without moving any clock.
      { name: 'LabShortKBR', oid: SHORT_OID, validitySeconds: 2, renewalSeconds: 1, subjectNameFlags: 0x9, enrollmentFlags: 0x10040 },
    ];
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates });
    const kbrOid = lab.templates.find((t) => t.name === 'LabKBRComputer')!.oid;
    await enroll('short', SHORT_OID, '/CN=short.lab.test');
    await enroll('machine', kbrOid, '/CN=ws01.lab.test');
    await enroll('other', kbrOid, '/CN=ws02.lab.test');

    // A certificate from a CA the lab does not know, made with openssl.
    const caKey = rsaKey(work, 'foreign-ca');
    const caPem = join(work, 'foreign-ca.pem');
    ossl(['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=FOREIGN-CA', '-days', '2', '-out', caPem]);
    const leafKey = rsaKey(work, 'foreign');
    const leafCsr = join(work, 'foreign.csr');
    const ext = templateExtensionHex(work, kbrOid, 100, 1);
    ossl(['req', '-new', '-key', leafKey, '-subj', '/CN=ws01.lab.test', '-addext', `1.3.6.1.4.1.311.21.7=DER:${ext}`, '-out', leafCsr]);
    const leafPem = join(work, 'foreign.pem');
    ossl(['x509', '-req', '-in', leafCsr, '-CA', caPem, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-copy_extensions', 'copy', '-out', leafPem]);
    holders.foreign = { pem: readFileSync(leafPem, 'utf8'), key: leafKey, ext, subject: '/CN=ws01.lab.test' };
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('accepts the genuine renewal (the control case)', async () => {
    const result = await renew('machine');
    expect(result.parsed.kind).toBe('issued');
  });

  it('refuses a new (non-renewal) request: CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE', async () => {
    expect(hresultOf(await renew('machine', { plainCsr: true }))).toBe('0x8009400E');
  });

  it('refuses a renewal signed by another key than the TLS client certificate: CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE', async () => {
    expect(hresultOf(await renew('machine', { signer: 'other' }))).toBe('0x8009400E');
  });

  it('refuses a client certificate from another CA: CERT_E_UNTRUSTEDROOT', async () => {
    expect(hresultOf(await renew('foreign'))).toBe('0x800B0109');
  });

  it('refuses an expired client certificate: CERT_E_EXPIRED', async () => {
    const notAfter = Date.parse(new X509Certificate(holders.short!.pem).validTo);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - Date.now() + 1100)));
    expect(hresultOf(await renew('short'))).toBe('0x800B0101');
  });

  it('refuses a subject other than the old certificate: CERTSRV_E_BAD_RENEWAL_SUBJECT', async () => {
    expect(hresultOf(await renew('other', { subject: '/CN=someone-else.lab.test' }))).toBe('0x80094806');
  });

  it('refuses a revoked client certificate: CRYPT_E_REVOKED', async () => {
    await lab.revoke(holders.other!.pem);
    expect(hresultOf(await renew('other'))).toBe('0x80092010');
  });

  it('asks for a client certificate: none → HTTP 403 like IIS, no SOAP', async () => {
    const answer = await post(url(KBR_CES), issueXml(url(KBR_CES), Buffer.from('x')), { ca: lab.trustBundlePem });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toContain('text/html');
  });
});
