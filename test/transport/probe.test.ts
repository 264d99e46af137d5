import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeEndpoint } from '../../src/transport/probe.js';
import { hasOpenssl } from '../helpers/tools.js';
import { refusingUrl, startBlackHole, startConnectProxy, startHttpsServer } from './helpers/servers.js';
import { createTestPki } from './helpers/testPki.js';
import type { TestPki } from './helpers/testPki.js';

describe.skipIf(!hasOpenssl)('probeEndpoint', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.cleanup());

  it('reports DNS, TCP, TLS with the server certificate, and the server clock of a healthy endpoint', async () => {
    const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
    try {
      const result = await probeEndpoint(server.url.replace('127.0.0.1', 'localhost'), { ca: pki.rootPem, env: {} });
      expect(result.dns.ok).toBe(true);
      expect(result.dns.addresses?.length).toBeGreaterThan(0);
      expect(result.tcp).toEqual(expect.objectContaining({ ok: true, ms: expect.any(Number) }));
      expect(result.tls).toEqual(expect.objectContaining({ ok: true, authorized: true, protocol: 'TLSv1.3', clientCertificateSent: false }));
      expect(result.tls.peerCertificate?.subject).toBe('CN=localhost');
      expect(result.tls.peerCertificate?.issuer).toBe('CN=Test Root');
      expect(result.tls.peerCertificate?.subjectAltNames).toEqual(['DNS:localhost', 'IP Address:127.0.0.1']);
      expect(result.tls.peerCertificate?.notAfter.toISOString()).toBe('2099-12-31T00:00:00.000Z');
      expect(Math.abs((result.httpDate as Date).getTime() - Date.now())).toBeLessThan(5_000);
      expect(result.httpStatus).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('describes a refused server certificate without accepting it', async () => {
    const server = await startHttpsServer({ cert: pki.expired.certPem, key: pki.expired.keyPem });
    try {
      const result = await probeEndpoint(server.url, { ca: pki.rootPem, env: {} });
      expect(result.tcp.ok).toBe(true);
      expect(result.tls.ok).toBe(false);
      expect(result.tls.authorized).toBe(false);
      expect(result.tls.error?.code).toBe('TLS_CERT_EXPIRED');
      expect(result.tls.peerCertificate?.notAfter.toISOString()).toBe('2020-02-01T00:00:00.000Z');
      expect(result.httpDate).toBeUndefined();
      expect(server.requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('stops at the step that fails: DNS, then TCP, then a handshake that never completes', async () => {
    const dns = await probeEndpoint('https://no-such-host.invalid/CES', { env: {}, timeoutMs: 2_000 });
    expect(dns.dns.ok).toBe(false);
    expect(dns.dns.error?.code).toMatch(/^DNS_/);
    expect(dns.tcp).toEqual({ ok: false, skipped: true });

    const refused = await probeEndpoint(await refusingUrl(), { env: {} });
    expect(refused.tcp.error?.code).toBe('CONNECTION_REFUSED');
    expect(refused.tls.skipped).toBe(true);

    const hole = await startBlackHole();
    try {
      const silent = await probeEndpoint(hole.url, { env: {}, timeoutMs: 300 });
      expect(silent.tcp.ok).toBe(true);
      expect(silent.tls.error?.code).toBe('CONNECT_TIMEOUT');
    } finally {
      await hole.close();
    }
  });

  it('reports a connection dropped because of the client certificate on the TLS step, also under TLS 1.3', async () => {
    const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.rootPem });
    try {
      for (const maxTlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const good = await probeEndpoint(server.url, { ca: pki.rootPem, env: {}, maxTlsVersion, clientCertificate: { certPem: pki.client.certPem, keyPem: pki.client.keyPem } });
        expect(good.tls).toEqual(expect.objectContaining({ ok: true, protocol: maxTlsVersion, clientCertificateSent: true }));
        const bad = await probeEndpoint(server.url, { ca: pki.rootPem, env: {}, maxTlsVersion, clientCertificate: { certPem: pki.untrustedClient.certPem, keyPem: pki.untrustedClient.keyPem } });
        expect(bad.tls.ok).toBe(false);
        // Node's server drops the connection without an alert: an outage under TLS 1.2, explained as
        // TLS 1.3 client authentication under TLS 1.3.
        expect(bad.tls.error?.code).toBe(maxTlsVersion === 'TLSv1.2' ? 'CONNECTION_RESET' : 'TLS13_CLIENT_CERT_UNSUPPORTED');
      }
    } finally {
      await server.close();
    }
  });

  it('checks TLS through the proxy, with DNS and TCP about the proxy', async () => {
    const proxy = await startConnectProxy();
    const server = await startHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem });
    try {
      const result = await probeEndpoint(server.url, { ca: pki.rootPem, env: { HTTPS_PROXY: proxy.url } });
      expect(result.via).toBe(proxy.url);
      expect(result.tls.ok).toBe(true);
      expect(proxy.tunnels).toEqual([`127.0.0.1:${server.port}`]);
    } finally {
      await Promise.all([server.close(), proxy.close()]);
    }
  });
});
