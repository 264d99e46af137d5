import { describe, expect, it } from 'vitest';
import { DEFAULT_SUBMIT_TIMEOUT_MS, mayFailOverAfterSubmitTimeout } from '../../src/transport/submitTimeoutFailover.js';

describe('failover after a timed-out CES submit', () => {
  it('allows the next endpoint once, so a timeout makes at most one duplicate', () => {
    expect(mayFailOverAfterSubmitTimeout(1)).toBe(true);
    expect(mayFailOverAfterSubmitTimeout(2)).toBe(false);
    expect(mayFailOverAfterSubmitTimeout(3)).toBe(false);
  });

  it('defaults to 120 s', () => {
    expect(DEFAULT_SUBMIT_TIMEOUT_MS).toBe(120_000);
  });
});
