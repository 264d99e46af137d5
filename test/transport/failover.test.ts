import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CredentialError,
  EnrollmentDenied,
  ExitCode,
  PendingError,
  ProtocolError,
  TrustError,
  UnreachableError,
  exitCodeOf,
} from '../../src/errors.js';
import { CircuitBreaker } from '../../src/transport/circuitBreaker.js';
import { withFailover } from '../../src/transport/failover.js';
import type { FailoverEvent } from '../../src/transport/failover.js';
import { createHttpsClient } from '../../src/transport/httpsClient.js';
import type { HttpsClient } from '../../src/transport/httpsClient.js';
import { seededRandom, systemRandom } from '../../src/transport/random.js';
import { hasOpenssl } from '../helpers/tools.js';
import { refusingUrl, soapFault, startHttpsServer } from './helpers/servers.js';
import type { Listener } from './helpers/servers.js';
import { createTestPki } from './helpers/testPki.js';
import type { TestPki } from './helpers/testPki.js';

interface Endpoint {
  url: string;
  priority: number | null;
}
const ep = (url: string, priority: number | null = 1): Endpoint => ({ url, priority });

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe('withFailover (decisions)', () => {
  it('moves on after unreachable and protocol failures, and trips the breaker for them', async () => {
    const breaker = new CircuitBreaker();
    const tried: string[] = [];
    const outcome = await withFailover(
      [ep('a', 1), ep('b', 2), ep('c', 3)],
      async (endpoint) => {
        tried.push(endpoint.url);
        if (endpoint.url === 'a') throw new UnreachableError('refused', [], 'CONNECTION_REFUSED');
        if (endpoint.url === 'b') throw new ProtocolError('not XML', 'XML_MALFORMED');
        return 'answer';
      },
      { random: seededRandom(1), breaker, nowMs: () => 1_000 },
    );
    expect(tried).toEqual(['a', 'b', 'c']);
    expect(outcome.result).toBe('answer');
    expect(outcome.endpoint.url).toBe('c');
    expect(outcome.attempts.map((a) => `${a.url}:${a.code}`)).toEqual(['a:CONNECTION_REFUSED', 'b:XML_MALFORMED']);
    expect(breaker.isTripped('a', 1_000)).toBe(true);
    expect(breaker.isTripped('c', 1_000)).toBe(false);
  });

  for (const [name, error] of [
    ['a CA denial', new EnrollmentDenied('Denied by Policy Module', { hresult: -2146877422, requestId: '17' })],
    ['a pending answer', new PendingError('waiting for approval', '18')],
    ['rejected credentials', new CredentialError('bad password')],
  ] as const) {
    it(`stops at once on ${name} (no second request to another URI of the same CA)`, async () => {
      const tried: string[] = [];
      const thrown = await rejection(
        withFailover([ep('a'), ep('b'), ep('c')], async (endpoint) => {
          tried.push(endpoint.url);
          throw error;
        }, { random: seededRandom(3) }),
      );
      expect(thrown).toBe(error);
      expect(tried).toHaveLength(1);
    });
  }

  it('after trust failures tries the others, and if none answers throws a TrustError (exit 4) listing every attempt', async () => {
    const thrown = await rejection(
      withFailover([ep('https://a/CES'), ep('https://b/CES')], async (endpoint) => {
        if (endpoint.url === 'https://a/CES') throw new TrustError('a: certificate expired', 'TLS_CERT_EXPIRED', endpoint.url);
        throw new UnreachableError('b: refused', [], 'CONNECTION_REFUSED');
      }, { random: seededRandom(5) }),
    );
    expect(thrown).toBeInstanceOf(TrustError);
    expect(thrown.code).toBe('TLS_CERT_EXPIRED');
    expect(exitCodeOf(thrown)).toBe(ExitCode.CONFIG);
    expect(thrown.message).toContain('https://a/CES: a: certificate expired [TLS_CERT_EXPIRED]');
    expect(thrown.message).toContain('https://b/CES: b: refused [CONNECTION_REFUSED]');
  });

  it('when every endpoint is unreachable throws an UnreachableError (exit 3) carrying every attempt', async () => {
    const thrown = (await rejection(
      withFailover([ep('a'), ep('b')], async (endpoint) => {
        throw new UnreachableError(`${endpoint.url} timed out`, [], endpoint.url === 'a' ? 'CONNECT_TIMEOUT' : 'CONNECTION_REFUSED');
      }, { random: seededRandom(5) }),
    )) as UnreachableError;
    expect(thrown).toBeInstanceOf(UnreachableError);
    expect(exitCodeOf(thrown)).toBe(ExitCode.UNREACHABLE);
    expect(thrown.code).toBe('UNREACHABLE');
    expect(thrown.attempts.map((a) => a.url).sort()).toEqual(['a', 'b']);
    expect(thrown.message).toContain('all 2 endpoints are unreachable');
  });

  it('keeps the common code when all endpoints failed the same way', async () => {
    const thrown = await rejection(
      withFailover([ep('a')], async () => {
        throw new UnreachableError('refused', [], 'CONNECTION_REFUSED');
      }, { random: seededRandom(5) }),
    );
    expect(thrown.code).toBe('CONNECTION_REFUSED');
    expect(thrown.message).toContain('the only endpoint is unreachable');
  });

  it('does not try anything with no endpoints, and stops when the caller cancels', async () => {
    expect((await rejection(withFailover([], async () => 1, { random: seededRandom(1) }))).code).toBe('NO_ENDPOINTS');
    const controller = new AbortController();
    const tried: string[] = [];
    const thrown = await rejection(
      withFailover([ep('a'), ep('b')], async (endpoint, signal) => {
        tried.push(endpoint.url);
        controller.abort();
        expect(signal.aborted).toBe(true);
        throw new UnreachableError('cancelled');
      }, { random: seededRandom(1), signal: controller.signal }),
    );
    expect(thrown.code).toBe('ABORTED');
    expect(tried).toHaveLength(1);
  });

  it('reports each attempt as it happens', async () => {
    const events: FailoverEvent[] = [];
    let clock = 0;
    await withFailover([ep('a', 1), ep('b', 2)], async (endpoint) => {
      clock += 10;
      if (endpoint.url === 'a') throw new UnreachableError('refused', [], 'CONNECTION_REFUSED');
      return 1;
    }, { random: seededRandom(1), nowMs: () => clock, onAttempt: (event) => events.push(event) });
    expect(events).toEqual([
      { type: 'attempt', url: 'a', index: 0, of: 2 },
      { type: 'failure', url: 'a', index: 0, elapsedMs: 10, code: 'CONNECTION_REFUSED', message: 'refused', next: true },
      { type: 'attempt', url: 'b', index: 1, of: 2 },
      { type: 'success', url: 'b', index: 1, elapsedMs: 10 },
    ]);
  });

  it('tries a breaker-tripped endpoint last on the next run', async () => {
    const breaker = new CircuitBreaker();
    const run = (endpoints = [ep('dead'), ep('alive')]) => {
      const tried: string[] = [];
      return withFailover(endpoints, async (endpoint) => {
        tried.push(endpoint.url);
        if (endpoint.url === 'dead') throw new UnreachableError('refused', [], 'CONNECTION_REFUSED');
        return tried;
      }, { random: systemRandom, breaker, nowMs: () => 5_000 });
    };
    expect((await rejection(run([ep('dead')]))).code).toBe('CONNECTION_REFUSED');
    for (let i = 0; i < 20; i++) expect((await run()).result).toEqual(['alive']);
  });
});

/** A stand-in for the WSTEP layer: a SOAP fault is the CA's answer. */
async function soapExchange(http: HttpsClient, url: string, signal: AbortSignal): Promise<string> {
  const response = await http.post(url, '<request/>', { signal });
  if (response.body.includes(':Fault>')) throw new EnrollmentDenied('Denied by Policy Module', { hresult: -2146877422 });
  return url;
}

describe.skipIf(!hasOpenssl)('withFailover over real HTTPS endpoints', () => {
  let pki: TestPki;
  let healthy: Listener;
  let healthy2: Listener;
  let silent: Listener;
  let faulting: Listener;
  let refused: string;
  let http: HttpsClient;

  beforeAll(async () => {
    pki = createTestPki();
    const tls = { cert: pki.server.certPem, key: pki.server.keyPem };
    healthy = await startHttpsServer(tls);
    healthy2 = await startHttpsServer(tls);
    silent = await startHttpsServer({ ...tls, handler: () => undefined });
    faulting = await startHttpsServer({
      ...tls,
      handler: (_req, res) => {
        res.writeHead(500, { 'content-type': 'application/soap+xml; charset=utf-8' });
        res.end(soapFault);
      },
    });
    refused = await refusingUrl();
    http = createHttpsClient({ ca: pki.rootPem, env: {}, requestTimeoutMs: 300, connectTimeoutMs: 300 });
  });
  afterAll(async () => {
    await http.close();
    await Promise.all([healthy.close(), healthy2.close(), silent.close(), faulting.close()]);
    pki.cleanup();
  });

  it('with one of two equal-priority URIs refusing connections, every request succeeds on the other', async () => {
    const before = healthy.requests;
    let sawRefusedFirst = 0;
    for (let i = 0; i < 20; i++) {
      const outcome = await withFailover([ep(refused), ep(healthy.url)], (e, signal) => soapExchange(http, e.url, signal), { random: systemRandom });
      expect(outcome.endpoint.url).toBe(healthy.url);
      if (outcome.attempts.length > 0) {
        sawRefusedFirst++;
        expect(outcome.attempts[0]?.code).toBe('CONNECTION_REFUSED');
      }
    }
    expect(healthy.requests - before).toBe(20);
    expect(sawRefusedFirst).toBeGreaterThan(0); // the order really was randomised
  });

  it('moves on from an endpoint that accepts and never answers after the configured timeout', async () => {
    const started = performance.now();
    const outcome = await withFailover([ep(silent.url, 1), ep(healthy.url, 2)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(9) });
    const elapsed = performance.now() - started;
    expect(outcome.endpoint.url).toBe(healthy.url);
    expect(outcome.attempts).toEqual([expect.objectContaining({ url: silent.url, code: 'RESPONSE_TIMEOUT' })]);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('does not fail over on a SOAP fault', async () => {
    const before = healthy.requests;
    const thrown = await rejection(withFailover([ep(faulting.url, 1), ep(healthy.url, 2)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(1) }));
    expect(thrown).toBeInstanceOf(EnrollmentDenied);
    expect(healthy.requests).toBe(before);
  });

  it('uses a priority-2 URI only when every priority-1 URI failed', async () => {
    const p2 = healthy2;
    const before = p2.requests;
    for (let seed = 0; seed < 10; seed++) {
      const outcome = await withFailover([ep(p2.url, 2), ep(refused, 1), ep(healthy.url, 1)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(seed) });
      expect(outcome.endpoint.url).toBe(healthy.url);
    }
    expect(p2.requests).toBe(before);
    const outcome = await withFailover([ep(p2.url, 2), ep(refused, 1), ep(silent.url, 1)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(1) });
    expect(outcome.endpoint.url).toBe(p2.url);
    expect(outcome.attempts.map((a) => a.code).sort()).toEqual(['CONNECTION_REFUSED', 'RESPONSE_TIMEOUT']);
  });

  it('gives exit 3 when all are unreachable and exit 4 when a trust problem is among the causes', async () => {
    const unreachable = await rejection(withFailover([ep(refused), ep(silent.url)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(1) }));
    expect(exitCodeOf(unreachable)).toBe(ExitCode.UNREACHABLE);
    const stranger = await startHttpsServer({ cert: pki.unknownIssuer.certPem, key: pki.unknownIssuer.keyPem });
    try {
      const trust = await rejection(withFailover([ep(refused), ep(stranger.url)], (e, signal) => soapExchange(http, e.url, signal), { random: seededRandom(1) }));
      expect(trust).toBeInstanceOf(TrustError);
      expect(trust.code).toBe('TLS_UNKNOWN_ISSUER');
      expect(exitCodeOf(trust)).toBe(ExitCode.CONFIG);
      expect(trust.message).toContain('trust.caFile');
    } finally {
      await stranger.close();
    }
  });
});
