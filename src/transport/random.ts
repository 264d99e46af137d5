// Random sources for endpoint ordering. Production uses the operating system's CSPRNG so that a
// fleet spreads evenly over equal-priority endpoints; tests use a seeded generator so an order
// can be replayed exactly.
import { getRandomValues } from 'node:crypto';

/** A source of uniformly distributed numbers in [0, 1), like Math.random. */
export type Random = () => number;

/** Uniform in [0, 1) with 53 bits from the operating system's CSPRNG. */
export const systemRandom: Random = () => {
  const words = getRandomValues(new Uint32Array(2));
  const high = (words[0] as number) >>> 5; // 27 bits
  const low = (words[1] as number) >>> 6; // 26 bits
  return (high * 67108864 + low) / 9007199254740992;
};

/** Deterministic generator (sfc32) for tests and replays; the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // mix the seed in before the first use
  return next;
}
