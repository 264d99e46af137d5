// The issued-certificate checks as a pure function: each refusal has its code and names the
// certificate, the CA, the RequestID and the serial; a notBefore within the tolerance is a warning.
import { describe, expect, it } from 'vitest';
import { checkIssuedCertificate } from '../../src/engine/issuedChecks.js';
import type { IssuedCheckInput } from '../../src/engine/issuedChecks.js';
import { IssuedCertificateRefused } from '../../src/errors.js';
import type { CertificateDescription } from '../../src/pki/certInfo.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const description = (over: Partial<CertificateDescription> = {}): CertificateDescription =>
  ({
    subject: 'CN=web.lab.test',
    issuer: 'CN=LAB-ISSUING-CA',
    serialHex: '1A2B',
    notBefore: new Date(NOW - 60_000),
    notAfter: new Date(NOW + 86_400_000),
    san: { dns: ['web.lab.test'], ip: [], upn: [], email: [] },
    ...over,
  }) as CertificateDescription;
const input = (over: Partial<IssuedCheckInput> = {}): IssuedCheckInput => ({
  certificateId: 'web',
  description: description(),
  requestId: '42',
  nowMs: NOW,
  toleranceMs: 300_000,
  requested: { subject: 'CN=web.lab.test', san: { dns: ['WEB.lab.test'], ip: [], upn: [], email: [] } },
  ...over,
});
const refusal = (over: Partial<IssuedCheckInput>): IssuedCertificateRefused => {
  try {
    checkIssuedCertificate(input(over));
  } catch (error) {
    if (error instanceof IssuedCertificateRefused) return error;
    throw error;
  }
  throw new Error('not refused');
};

describe('issued-certificate checks', () => {
  it('accepts a matching, valid certificate (DNS names compare without case)', () => {
    expect(checkIssuedCertificate(input())).toEqual({});
  });
  it('refuses an expired certificate with ISSUED_EXPIRED, naming certificate, CA, RequestID and serial, exit 2', () => {
    const error = refusal({ description: description({ notAfter: new Date(NOW - 1) }) });
    expect(error.code).toBe('ISSUED_EXPIRED');
    expect(error.exitCode).toBe(2);
    expect(error.requestId).toBe('42');
    expect(error.message).toMatch(/certificate "web".*CA "CN=LAB-ISSUING-CA".*request 42 \(serial 1A2B\).*certutil -revoke 1A2B/);
  });
  it('accepts a notBefore ahead within the tolerance as clock skew, refuses it beyond', () => {
    expect(checkIssuedCertificate(input({ description: description({ notBefore: new Date(NOW + 120_000) }) }))).toEqual({ clockSkewMs: 120_000 });
    expect(refusal({ description: description({ notBefore: new Date(NOW + 301_000) }) }).code).toBe('ISSUED_NOT_YET_VALID');
  });
  it('refuses another subject or other names only where they were requested', () => {
    expect(refusal({ description: description({ subject: 'CN=attacker.example' }) }).code).toBe('ISSUED_SUBJECT_MISMATCH');
    expect(refusal({ description: description({ san: { dns: ['web.lab.test', 'extra.example'], ip: [], upn: [], email: [] } }) }).code).toBe('ISSUED_SAN_MISMATCH');
    // The CA builds subject and names from the directory: nothing to compare.
    expect(checkIssuedCertificate(input({ requested: { subject: null, san: null }, description: description({ subject: 'CN=WS01', san: { dns: ['ws01.corp'], ip: [], upn: [], email: [] } }) }))).toEqual({});
  });
});
