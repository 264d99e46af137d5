// A readable summary of the server's certificate, captured even when verification rejects it, so
// that a trust error can say *which* certificate is wrong ("CN=ces01 expired on ..."). Capturing
// happens just before Node checks the chain and host name; the connection is still refused.
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';

export interface PeerCertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Like `DNS:host`, `IP Address:10.0.0.1`. */
  subjectAltNames: string[];
  fingerprint256: string;
  /** Subjects of the chain the server sent, leaf first (as far as the server sent it). */
  chain: string[];
}

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (name === undefined || name === null) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

export function summarizeCertificate(certificate: DetailedPeerCertificate): PeerCertificateSummary | undefined {
  if (certificate === undefined || certificate === null || Object.keys(certificate).length === 0) return undefined;
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let node: DetailedPeerCertificate | undefined = certificate; node && !seen.has(node.fingerprint256); node = node.issuerCertificate) {
    seen.add(node.fingerprint256);
    chain.push(distinguishedName(node.subject));
  }
  return {
    subject: distinguishedName(certificate.subject),
    issuer: distinguishedName(certificate.issuer),
    serialNumber: certificate.serialNumber,
    notBefore: new Date(certificate.valid_from),
    notAfter: new Date(certificate.valid_to),
    subjectAltNames: (certificate.subjectaltname ?? '').split(', ').filter((name) => name !== ''),
    fingerprint256: certificate.fingerprint256,
    chain,
  };
}

/**
 * Registers a listener that runs right after the handshake and before Node's own verification
 * (which would destroy the socket, and the certificate with it). `onCapture` gets the summary.
 */
export function capturePeerCertificate(socket: TLSSocket, onCapture: (summary: PeerCertificateSummary, protocol: string | null) => void): void {
  socket.prependOnceListener('secure', () => {
    try {
      const summary = summarizeCertificate(socket.getPeerCertificate(true));
      if (summary !== undefined) onCapture(summary, socket.getProtocol());
    } catch {
      // diagnostics only: a failure to read the certificate must not change the connection's fate
    }
  });
}
