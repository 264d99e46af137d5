// The lab's throwaway PKI, created on first start and kept in the lab folder: a root CA, one
// issuing CA per lab CA, and the HTTPS server certificate (127.0.0.1 / localhost) issued by the root.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyUsageBit, OID, buildName, issueCertificate } from './ca.js';
import { generateEcKey, signingKeyFromPem } from './labKeys.js';
import type { SigningKey } from './labKeys.js';
import { writeFileAtomic } from './atomicFile.js';

const CA_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
const TLS_VALIDITY_MS = 2 * 365 * 24 * 3600 * 1000;
const BACKDATE_MS = 5 * 60 * 1000;

export interface LabCaMaterial {
  name: string;
  certDer: Buffer;
  certPem: string;
  keyPem: string;
  signingKey: SigningKey;
  x509: X509Certificate;
}

export interface LabPki {
  root: LabCaMaterial;
  /** Issuing CAs by lab CA name. */
  cas: Map<string, LabCaMaterial>;
  tlsCertPem: string;
  tlsKeyPem: string;
  trustBundlePem: string;
  trustBundlePath: string;
}

export async function loadOrCreatePki(dir: string, caNames: readonly string[]): Promise<LabPki> {
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  const root = await loadOrCreateCa(pkiDir, 'root-ca', 'LAB-ROOT-CA', null);
  const cas = new Map<string, LabCaMaterial>();
  for (const name of caNames) cas.set(name, await loadOrCreateCa(pkiDir, safeFileName(name), name, root));
  const tls = await loadOrCreateTls(pkiDir, root);
  const trustBundlePem = [root.certPem, ...[...cas.values()].map((ca) => ca.certPem)].join('');
  const trustBundlePath = join(dir, 'trust-bundle.pem');
  await writeFileAtomic(trustBundlePath, trustBundlePem, 0o644);
  return { root, cas, tlsCertPem: tls.certPem, tlsKeyPem: tls.keyPem, trustBundlePem, trustBundlePath };
}

async function loadOrCreateCa(pkiDir: string, file: string, commonName: string, parent: LabCaMaterial | null): Promise<LabCaMaterial> {
  const certPath = join(pkiDir, `${file}.pem`);
  const keyPath = join(pkiDir, `${file}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = await readFile(certPath, 'utf8');
    const keyPem = await readFile(keyPath, 'utf8');
    const x509 = new X509Certificate(certPem);
    if (new Date(x509.validTo).getTime() > Date.now()) return material(commonName, x509, keyPem);
  }
  const key = await generateEcKey();
  const signingKey = await signingKeyFromPem(key.privateKeyPem);
  const now = Date.now();
  const spec = {
    subjectDer: buildName([
      [OID.organization, 'autoenroll lab'],
      [OID.commonName, commonName],
    ]),
    spkiDer: key.spkiDer,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_MS),
    ca: parent ? { pathLength: 0 } : {},
    keyUsageBits: [KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign],
  };
  const der = parent
    ? await issueCertificate(spec, { certDer: parent.certDer, signingKey: parent.signingKey })
    : await issueCertificate(spec, null, signingKey);
  const x509 = new X509Certificate(der);
  await writeFileAtomic(keyPath, key.privateKeyPem, 0o600);
  await writeFileAtomic(certPath, x509.toString(), 0o644);
  return material(commonName, x509, key.privateKeyPem);
}

async function loadOrCreateTls(pkiDir: string, root: LabCaMaterial): Promise<{ certPem: string; keyPem: string }> {
  const certPath = join(pkiDir, 'tls-server.pem');
  const keyPath = join(pkiDir, 'tls-server.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = await readFile(certPath, 'utf8');
    const x509 = new X509Certificate(certPem);
    if (new Date(x509.validTo).getTime() > Date.now() && x509.checkIssued(root.x509)) {
      return { certPem, keyPem: await readFile(keyPath, 'utf8') };
    }
  }
  const key = await generateEcKey();
  const now = Date.now();
  const der = await issueCertificate(
    {
      subjectDer: buildName([
        [OID.organization, 'autoenroll lab'],
        [OID.commonName, 'localhost'],
      ]),
      spkiDer: key.spkiDer,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + TLS_VALIDITY_MS),
      // ECDSA key: TLS only signs with it (no key transport), so digitalSignature alone.
      keyUsageBits: [KeyUsageBit.digitalSignature],
      extendedKeyUsages: [OID.serverAuth],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    },
    { certDer: root.certDer, signingKey: root.signingKey },
  );
  const certPem = new X509Certificate(der).toString();
  await writeFileAtomic(keyPath, key.privateKeyPem, 0o600);
  await writeFileAtomic(certPath, certPem, 0o644);
  return { certPem, keyPem: key.privateKeyPem };
}

async function material(name: string, x509: X509Certificate, keyPem: string): Promise<LabCaMaterial> {
  return { name, certDer: Buffer.from(x509.raw), certPem: x509.toString(), keyPem, signingKey: await signingKeyFromPem(keyPem), x509 };
}

function safeFileName(name: string): string {
  return `ca-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
