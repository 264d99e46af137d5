// The lab's throwaway PKI: EC P-256 keys signed with ECDSA/SHA-256 when created, and whatever a lab
// folder from an earlier version holds on disk (RSA-2048) loaded and used as it is.
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyUsageBit, OID, buildName, issueCertificate } from '../../src/lab/ca.js';
import { signingKeyFromPem } from '../../src/lab/labKeys.js';
import { loadOrCreatePki } from '../../src/lab/labPki.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function labDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autoenroll-labpki-'));
  dirs.push(dir);
  return dir;
}

describe('lab PKI', () => {
  it('creates EC P-256 CA and HTTPS server keys, every certificate signed with ECDSA/SHA-256', async () => {
    const dir = labDir();
    const pki = await loadOrCreatePki(dir, ['LabCA']);
    const ca = pki.cas.get('LabCA')!;
    const tls = new X509Certificate(pki.tlsCertPem);
    for (const cert of [pki.root.x509, ca.x509, tls]) {
      expect(cert.publicKey.asymmetricKeyType).toBe('ec');
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    }
    expect(ca.x509.verify(pki.root.x509.publicKey)).toBe(true);
    expect(tls.verify(pki.root.x509.publicKey)).toBe(true);
    if (hasOpenssl) {
      const text = openssl(['x509', '-noout', '-text'], pki.tlsCertPem).stdout;
      expect(text).toContain('ecdsa-with-SHA256');
      const chain = join(dir, 'trust-bundle.pem');
      const leaf = join(dir, 'tls.pem');
      writeFileSync(leaf, pki.tlsCertPem);
      expect(openssl(['verify', '-CAfile', chain, '-purpose', 'sslserver', leaf]).status).toBe(0);
    }
  });

  it('keeps an RSA root from an earlier lab folder and signs with it', async () => {
    const dir = labDir();
    const pkiDir = join(dir, 'pki');
    mkdirSync(pkiDir, { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const now = Date.now();
    const rootDer = await issueCertificate(
      {
        subjectDer: buildName([[OID.commonName, 'LAB-ROOT-CA']]),
        spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86_400_000),
        ca: {},
        keyUsageBits: [KeyUsageBit.keyCertSign],
      },
      null,
      await signingKeyFromPem(keyPem),
    );
    const rootPem = new X509Certificate(rootDer).toString();
    writeFileSync(join(pkiDir, 'root-ca.pem'), rootPem);
    writeFileSync(join(pkiDir, 'root-ca.key'), keyPem, { mode: 0o600 });

    const pki = await loadOrCreatePki(dir, ['LabCA']);
    expect(pki.root.certPem).toBe(rootPem);
    expect(readFileSync(join(pkiDir, 'root-ca.key'), 'utf8')).toBe(keyPem);
    const ca = pki.cas.get('LabCA')!;
    expect(ca.x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(ca.x509.verify(pki.root.x509.publicKey)).toBe(true);
    expect(new X509Certificate(pki.tlsCertPem).verify(pki.root.x509.publicKey)).toBe(true);
  });
});
