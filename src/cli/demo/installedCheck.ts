// An independent look at what the agent installed, the way a consumer of the files would check
// them: the certificate chains up to a trust anchor with valid signatures (node:crypto's X.509,
// not the agent's own verifier), the key file belongs to the certificate and is private (0600).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

export interface InstalledFacts {
  subject: string;
  serial: string;
  /** SHA-1, upper-case hex without separators (as Windows and the agent show it). */
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  /** SubjectPublicKeyInfo DER, base64: tells a new key from the old one. */
  publicKey: string;
  /** Subjects from the certificate up to the trust anchor. */
  chain: string[];
  keyMatches: boolean;
  keyFileMode: string;
  problems: string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function certificatesOf(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
}

const shortName = (subject: string): string => subject.split('\n').find((part) => part.startsWith('CN=')) ?? subject.replace(/\n/g, ', ');

export async function checkInstalled(files: { certPath: string; keyPath: string; chainPath: string }, trustBundlePem: string, nowMs: number): Promise<InstalledFacts> {
  const [certPem, keyPem, chainPem, keyStat] = await Promise.all([
    readFile(files.certPath, 'utf8'),
    readFile(files.keyPath, 'utf8'),
    readFile(files.chainPath, 'utf8'),
    stat(files.keyPath),
  ]);
  const leaf = certificatesOf(certPem)[0];
  if (!leaf) throw new Error(`${files.certPath} holds no certificate`);
  const problems: string[] = [];
  const anchors = certificatesOf(trustBundlePem);
  const candidates = [...certificatesOf(chainPem), ...anchors];

  const chain = [shortName(leaf.subject)];
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (!within(current, nowMs)) problems.push(`${shortName(current.subject)} is not valid now`);
    const anchored = anchors.find((a) => a.fingerprint256 === current.fingerprint256);
    if (anchored && current.checkIssued(current) && current.verify(current.publicKey)) {
      chain[chain.length - 1] += ' (trust anchor)';
      break;
    }
    const issuer = candidates.find((c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) {
      problems.push(`no verified issuer for ${shortName(current.subject)} in the chain file or the trust bundle`);
      break;
    }
    chain.push(shortName(issuer.subject));
    current = issuer;
  }

  let keyMatches = false;
  try {
    keyMatches = leaf.checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    problems.push(`the key file cannot be read: ${(error as Error).message}`);
  }
  if (!keyMatches) problems.push('the key file does not belong to the certificate');
  const keyFileMode = (keyStat.mode & 0o777).toString(8).padStart(4, '0');
  if (process.platform !== 'win32' && (keyStat.mode & 0o077) !== 0) problems.push(`the key file is readable by others (mode ${keyFileMode})`);

  return {
    subject: leaf.subject.replace(/\n/g, ', '),
    serial: leaf.serialNumber.toUpperCase(),
    thumbprint: leaf.fingerprint.replace(/:/g, '').toUpperCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    publicKey: leaf.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    chain,
    keyMatches,
    keyFileMode,
    problems,
  };
}

function within(certificate: X509Certificate, nowMs: number): boolean {
  return Date.parse(certificate.validFrom) <= nowMs && nowMs <= Date.parse(certificate.validTo);
}
