import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/transport/circuitBreaker.js';
import { orderEndpoints, shuffle } from '../../src/transport/endpointOrder.js';
import { seededRandom, systemRandom } from '../../src/transport/random.js';

const ep = (url: string, priority: number | null, tier?: number) => ({ url, priority, ...(tier === undefined ? {} : { tier }) });

describe('orderEndpoints', () => {
  it('puts lower priority numbers first and unprioritised endpoints last', () => {
    const order = orderEndpoints([ep('c', null), ep('b', 10), ep('a', 1)], seededRandom(1)).map((e) => e.url);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('orders by tier before priority', () => {
    const order = orderEndpoints([ep('password', 1, 2), ep('kbr', 50, 0)], seededRandom(1)).map((e) => e.url);
    expect(order).toEqual(['kbr', 'password']);
  });

  it('shuffles only inside a priority group', () => {
    for (let seed = 0; seed < 50; seed++) {
      const order = orderEndpoints([ep('p2a', 2), ep('p1a', 1), ep('p2b', 2), ep('p1b', 1)], seededRandom(seed)).map((e) => e.url);
      expect(order.slice(0, 2).sort()).toEqual(['p1a', 'p1b']);
      expect(order.slice(2).sort()).toEqual(['p2a', 'p2b']);
    }
  });

  it('is deterministic for a given seed and does not modify its input', () => {
    const input = Object.freeze([ep('a', 1), ep('b', 1), ep('c', 1), ep('d', 1)]);
    const first = orderEndpoints(input, seededRandom(42)).map((e) => e.url);
    expect(orderEndpoints(input, seededRandom(42)).map((e) => e.url)).toEqual(first);
    expect(input.map((e) => e.url)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('moves an endpoint with a tripped breaker to the end of its group, never out of the list', () => {
    const breaker = new CircuitBreaker({ coolDownMs: 60_000 });
    breaker.recordFailure('a', 1_000);
    for (let seed = 0; seed < 20; seed++) {
      const order = orderEndpoints([ep('a', 1), ep('b', 1), ep('z', 5)], seededRandom(seed), breaker, 2_000).map((e) => e.url);
      expect(order).toEqual(['b', 'a', 'z']);
    }
    // after the cool-down it competes again
    const firsts = new Set<string>();
    for (let seed = 0; seed < 20; seed++) firsts.add(orderEndpoints([ep('a', 1), ep('b', 1)], seededRandom(seed), breaker, 62_000)[0]?.url ?? '');
    expect(firsts).toEqual(new Set(['a', 'b']));
  });

  it('returns a permutation of its input (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ url: fc.string(), priority: fc.option(fc.integer({ min: 0, max: 5 })) })), fc.integer(), (endpoints, seed) => {
        const order = orderEndpoints(endpoints, seededRandom(seed));
        const key = (list: readonly { url: string; priority: number | null }[]) => list.map((e) => JSON.stringify([e.url, e.priority])).sort();
        expect(key(order)).toEqual(key(endpoints));
        const priorities = order.map((e) => e.priority ?? Number.POSITIVE_INFINITY);
        expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
      }),
    );
  });

  describe('over 1,000 selections with two healthy equal-priority URIs, each is first 50% ± 5%', () => {
    const two = [ep('https://ces1.contoso.test/CES', 1), ep('https://ces2.contoso.test/CES', 1)];
    const share = (random: () => number): number => {
      let first = 0;
      for (let i = 0; i < 1000; i++) if (orderEndpoints(two, random)[0]?.url === two[0]?.url) first++;
      return first / 1000;
    };
    it('with the system random source', () => {
      // Ten independent rounds of 1,000: the ±5% band is ~3.2 standard deviations for one round, so a
      // single round may fall outside it by chance (p ≈ 0.16%); the mean of ten (±5% ≈ 10 sd) may not,
      // and no round may be further than ±7% (≈ 4.4 sd).
      const rounds = Array.from({ length: 10 }, () => share(systemRandom));
      const mean = rounds.reduce((a, b) => a + b, 0) / rounds.length;
      expect(mean).toBeGreaterThanOrEqual(0.45);
      expect(mean).toBeLessThanOrEqual(0.55);
      for (const ratio of rounds) expect(Math.abs(ratio - 0.5)).toBeLessThanOrEqual(0.07);
    });
    it('with a seeded source (deterministic)', () => {
      const ratio = share(seededRandom(2024));
      expect(ratio).toBe(share(seededRandom(2024)));
      expect(ratio).toBeGreaterThanOrEqual(0.45);
      expect(ratio).toBeLessThanOrEqual(0.55);
    });
  });
});

describe('shuffle', () => {
  it('gives every permutation of three items about equally often', () => {
    const counts = new Map<string, number>();
    const random = seededRandom(7);
    for (let i = 0; i < 6000; i++) {
      const key = shuffle(['a', 'b', 'c'], random).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('stays in bounds even if the random source returns 1', () => {
    expect(shuffle(['a', 'b', 'c'], () => 1).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('random sources', () => {
  it('produce numbers in [0, 1)', () => {
    const seeded = seededRandom(3);
    for (let i = 0; i < 1000; i++) {
      for (const value of [systemRandom(), seeded()]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(1);
      }
    }
  });
  it('differ between seeds', () => {
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });
});
