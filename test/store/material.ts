// Real key + self-signed certificate pairs for the store tests (openssl, EC P-256: fast).
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NewGeneration } from '../../src/store/stateModel.js';
import { openssl } from '../helpers/tools.js';

export function makeMaterial(cn: string, days = 30): NewGeneration {
  const dir = mkdtempSync(path.join(tmpdir(), 'autoenroll-material-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const result = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${cn}`, '-days', String(days)]);
    if (result.status !== 0) throw new Error(result.stderr);
    const certPem = readFileSync(cert, 'utf8');
    const x509 = new X509Certificate(certPem);
    return {
      keyPem: readFileSync(key, 'utf8'),
      certPem,
      chainPem: certPem,
      meta: {
        thumbprintSha1: createHash('sha1').update(x509.raw).digest('hex').toUpperCase(),
        serialHex: x509.serialNumber,
        notBefore: new Date(x509.validFrom).toISOString(),
        notAfter: new Date(x509.validTo).toISOString(),
        subject: `CN=${cn}`,
        createdAt: new Date().toISOString(),
        keyReused: false,
        requestId: cn,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when the key is the private half of the certificate. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
