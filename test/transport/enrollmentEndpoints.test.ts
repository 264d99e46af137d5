import { describe, expect, it } from 'vitest';
import { selectEnrollmentEndpoints, sameUri } from '../../src/transport/enrollmentEndpoints.js';
import type { EnrollmentUriCandidate } from '../../src/transport/enrollmentEndpoints.js';

const uri = (name: string, clientAuthentication: number, renewalOnly = false, caId = 'ca1', priority: number | null = 1): EnrollmentUriCandidate => ({
  uri: `https://${name}.contoso.test/CES`,
  clientAuthentication,
  priority,
  renewalOnly,
  caId,
});

const published = [
  uri('kbr', 8, true),
  uri('cert', 8),
  uri('pwd', 4),
  uri('anon', 1),
  uri('kerberos', 2),
  uri('other-ca-pwd', 4, false, 'ca2'),
];
const names = (selected: { uri: string; tier: number }[]) => selected.map((s) => `${new URL(s.uri).hostname.split('.')[0]}:${s.tier}`);

describe('selectEnrollmentEndpoints', () => {
  it('initial enrollment with a password: username/password URIs, never renewal-only ones', () => {
    expect(names(selectEnrollmentEndpoints(published, { operation: 'enroll', haveCertificate: false, havePassword: true }))).toEqual(['pwd:2', 'other-ca-pwd:2']);
  });

  it('renewal with a valid certificate: key-based renewal first, then anonymous, then password', () => {
    const selected = selectEnrollmentEndpoints(published, { operation: 'renew', haveCertificate: true, havePassword: true, caId: 'ca1' });
    expect(names(selected)).toEqual(['kbr:0', 'cert:0', 'pwd:2', 'anon:1']);
    expect(selected.every((s) => s.url === s.uri)).toBe(true);
  });

  it('renewal without a usable certificate falls back to password URIs (renewal-only allowed)', () => {
    const withRenewalOnlyPassword = [...published, uri('kbr-pwd', 4, true)];
    expect(names(selectEnrollmentEndpoints(withRenewalOnlyPassword, { operation: 'renew', haveCertificate: false, havePassword: true, caId: 'ca1' }))).toEqual(['pwd:2', 'kbr-pwd:2']);
  });

  it('keeps CA affinity', () => {
    expect(names(selectEnrollmentEndpoints(published, { operation: 'enroll', haveCertificate: false, havePassword: true, caId: 'ca2' }))).toEqual(['other-ca-pwd:2']);
  });

  it('polls a pending request exactly where it was submitted', () => {
    const selection = { operation: 'retrieve' as const, haveCertificate: false, havePassword: true, submittedUri: 'HTTPS://PWD.contoso.test:443/CES' };
    expect(names(selectEnrollmentEndpoints(published, selection))).toEqual(['pwd:2']);
    expect(selectEnrollmentEndpoints(published, { ...selection, submittedUri: 'https://gone.contoso.test/CES' })).toEqual([]);
    expect(selectEnrollmentEndpoints(published, { operation: 'retrieve', haveCertificate: true, havePassword: true })).toEqual([]);
  });

  it('uses Kerberos URIs when a Kerberos ticket can be had, beside the password ones', () => {
    expect(names(selectEnrollmentEndpoints(published, { operation: 'enroll', haveCertificate: false, havePassword: false, haveKerberos: true }))).toEqual(['kerberos:2']);
    expect(names(selectEnrollmentEndpoints(published, { operation: 'enroll', haveCertificate: false, havePassword: true, haveKerberos: true }))).toEqual(['pwd:2', 'kerberos:2', 'other-ca-pwd:2']);
    const pending = selectEnrollmentEndpoints(published, { operation: 'retrieve', haveCertificate: false, havePassword: false, haveKerberos: true, submittedUri: 'https://kerberos.contoso.test/CES' });
    expect(names(pending)).toEqual(['kerberos:2']);
  });

  it('offers nothing it cannot authenticate to (Kerberos, no credentials)', () => {
    expect(selectEnrollmentEndpoints(published, { operation: 'enroll', haveCertificate: false, havePassword: false })).toEqual([]);
  });
});

describe('sameUri', () => {
  it('ignores host case and the default port, not the path', () => {
    expect(sameUri('https://A.example/CES', 'https://a.example:443/CES')).toBe(true);
    expect(sameUri('https://a.example/CES', 'https://a.example/ces')).toBe(false);
  });
});
