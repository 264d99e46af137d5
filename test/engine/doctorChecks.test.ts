// The pure judgements behind `autoenroll doctor`: clock skew, probe steps, cause/fix, exit code.
import { describe, expect, it } from 'vitest';
import { causeAndFix, clockCheck, finishEndpoint, overallExitCode, probeChecks, SKEW_FAIL_MS, SKEW_WARN_MS } from '../../src/engine/doctorChecks.js';
import { CredentialError, TrustError, UnreachableError } from '../../src/errors.js';
import type { ProbeResult } from '../../src/transport/probe.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

const probe = (notAfterMs: number): ProbeResult => ({
  url: 'https://ces.example/CES',
  dns: { ok: true, host: 'ces.example', addresses: ['192.0.2.7'] },
  tcp: { ok: true, address: '192.0.2.7', ms: 1.2 },
  tls: {
    ok: true,
    authorized: true,
    protocol: 'TLSv1.3',
    clientCertificateSent: false,
    peerCertificate: {
      subject: 'CN=ces.example',
      issuer: 'CN=Issuing',
      serialNumber: '01',
      notBefore: new Date(NOW - 86_400_000),
      notAfter: new Date(notAfterMs),
      subjectAltNames: ['DNS:ces.example'],
      fingerprint256: 'AA',
      chain: ['CN=ces.example'],
    },
  },
});

describe('clock skew from the HTTP Date header', () => {
  it('is fine within a minute, a warning beyond, a failure (exit 4) beyond five minutes', () => {
    expect(clockCheck(new Date(NOW - SKEW_WARN_MS), NOW)).toMatchObject({ status: 'ok' });
    expect(clockCheck(new Date(NOW + 120_000), NOW)).toMatchObject({ status: 'warn', code: 'CLOCK_SKEW', detail: expect.stringContaining('this machine is behind by 120 s') });
    const fail = clockCheck(new Date(NOW - SKEW_FAIL_MS - 1000), NOW);
    expect(fail).toMatchObject({ status: 'fail', exitCode: 4, fix: expect.stringContaining('NTP') });
    expect(fail.cause).toContain('this machine is ahead by 301 s');
  });
  it('is skipped without a Date header', () => {
    expect(clockCheck(undefined, NOW).status).toBe('skip');
  });
});

describe('probe steps', () => {
  it('reports DNS, TCP and a verified TLS connection', () => {
    const checks = probeChecks(probe(NOW + 365 * 86_400_000), NOW);
    expect(checks.map((c) => [c.name, c.status])).toEqual([['dns', 'ok'], ['tcp', 'ok'], ['tls', 'ok']]);
    expect(checks[2]!.detail).toContain('"CN=ces.example" issued by "CN=Issuing"');
  });
  it('warns about a server certificate that expires within 30 days', () => {
    const tls = probeChecks(probe(NOW + 10 * 86_400_000), NOW)[2]!;
    expect(tls).toMatchObject({ status: 'warn', code: 'TLS_CERT_EXPIRES_SOON', cause: 'the server certificate expires in 10 days' });
  });
  it('skips the later steps after a failure', () => {
    const refused: ProbeResult = { ...probe(NOW), tcp: { ok: false, address: '192.0.2.7', error: new UnreachableError('ces.example: connection refused', [], 'CONNECTION_REFUSED') } };
    expect(probeChecks(refused, NOW).map((c) => [c.name, c.status])).toEqual([['dns', 'ok'], ['tcp', 'fail'], ['tls', 'skip']]);
  });
});

describe('cause and fix', () => {
  it('splits a message that carries its own fix', () => {
    const error = new TrustError('ces.example: the server certificate was issued by a CA that is not trusted. Fix: set trust.caFile to the CA.', 'TLS_UNKNOWN_ISSUER');
    expect(causeAndFix(error)).toEqual({ code: 'TLS_UNKNOWN_ISSUER', cause: 'ces.example: the server certificate was issued by a CA that is not trusted.', fix: 'set trust.caFile to the CA', exitCode: 4 });
  });
  it('finds the fix by code otherwise, with the exit class of the error', () => {
    expect(causeAndFix(new UnreachableError('x: connection refused', [], 'CONNECTION_REFUSED'))).toMatchObject({ exitCode: 3, fix: expect.stringContaining('start the CEP/CES web site') });
    expect(causeAndFix(new CredentialError('rejected', 'SERVER_REJECTED_CREDENTIALS'))).toMatchObject({ exitCode: 4, fix: expect.stringContaining('username and password') });
  });
});

describe('verdict', () => {
  it('an endpoint is healthy unless a check failed; its problem is the first failure', () => {
    const report = finishEndpoint({
      url: 'https://x/CES',
      role: 'enrollment',
      auth: 'username',
      priority: 1,
      checks: [
        { name: 'tls', status: 'warn', detail: 'expires soon' },
        { name: 'auth', status: 'fail', detail: 'refused', code: 'SERVER_REJECTED_CREDENTIALS', cause: 'refused', fix: 'check the password', exitCode: 4 },
      ],
    });
    expect(report).toMatchObject({ healthy: false, problem: { check: 'auth', code: 'SERVER_REJECTED_CREDENTIALS', cause: 'refused', fix: 'check the password' } });
  });
  it('4 (trust/credential/config) wins over 3 (unreachable); nothing failed is 0', () => {
    expect(overallExitCode([])).toBe(0);
    expect(overallExitCode([3, undefined])).toBe(3);
    expect(overallExitCode([3, 4, 3])).toBe(4);
  });
});
