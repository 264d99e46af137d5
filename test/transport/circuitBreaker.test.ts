import { describe, expect, it } from 'vitest';
import { CircuitBreaker, DEFAULT_COOL_DOWN_MS } from '../../src/transport/circuitBreaker.js';

describe('CircuitBreaker', () => {
  it('remembers a failed endpoint for the cool-down, then forgets it', () => {
    const breaker = new CircuitBreaker({ coolDownMs: 1_000 });
    breaker.recordFailure('https://a/CES', 10_000, 'CONNECTION_REFUSED');
    expect(breaker.isTripped('https://a/CES', 10_000)).toBe(true);
    expect(breaker.isTripped('https://a/CES', 10_999)).toBe(true);
    expect(breaker.isTripped('https://a/CES', 11_000)).toBe(false);
    expect(breaker.isTripped('https://b/CES', 10_500)).toBe(false);
  });

  it('defaults to a five-minute cool-down', () => {
    const breaker = new CircuitBreaker();
    expect(DEFAULT_COOL_DOWN_MS).toBe(300_000);
    breaker.recordFailure('u', 0);
    expect(breaker.isTripped('u', 299_999)).toBe(true);
    expect(breaker.isTripped('u', 300_000)).toBe(false);
  });

  it('is reset by a success and counts failures in a row', () => {
    const breaker = new CircuitBreaker();
    breaker.recordFailure('u', 0);
    breaker.recordFailure('u', 1);
    expect(breaker.tripped(2)).toEqual([{ url: 'u', failedAtMs: 1, consecutiveFailures: 2, code: 'UNREACHABLE' }]);
    breaker.recordSuccess('u');
    expect(breaker.isTripped('u', 2)).toBe(false);
    expect(breaker.tripped(2)).toEqual([]);
  });

  it('does not trip for a failure recorded in the future (clock moved back)', () => {
    const breaker = new CircuitBreaker();
    breaker.recordFailure('u', 10_000);
    expect(breaker.isTripped('u', 5_000)).toBe(false);
  });

  it('survives a JSON round trip, and skips malformed entries when importing', () => {
    const breaker = new CircuitBreaker({ coolDownMs: 5_000 });
    breaker.recordFailure('https://a/CES', 100, 'CONNECT_TIMEOUT');
    const restored = CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(breaker)));
    expect(restored.coolDownMs).toBe(5_000);
    expect(restored.isTripped('https://a/CES', 200)).toBe(true);
    expect(restored.toJSON()).toEqual(breaker.toJSON());

    const damaged = CircuitBreaker.fromJSON({ version: 1, entries: [{ url: 'ok', failedAtMs: 1 }, { url: 3 }, null, 'x', { url: 'nan', failedAtMs: 'soon' }] });
    expect(damaged.toJSON().entries.map((entry) => entry.url)).toEqual(['ok']);
    expect(CircuitBreaker.fromJSON('garbage').toJSON().entries).toEqual([]);
    expect(CircuitBreaker.fromJSON({ version: 9, entries: [{ url: 'x', failedAtMs: 1 }] }).toJSON().entries).toEqual([]);
  });

  it('rejects a negative cool-down', () => {
    expect(() => new CircuitBreaker({ coolDownMs: -1 })).toThrow(RangeError);
  });
});
