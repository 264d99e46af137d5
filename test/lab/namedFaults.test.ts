// The fault names `autoenroll lab --fault` accepts.
import { describe, expect, it } from 'vitest';
import { NAMED_FAULTS, isTransportFault, parseFault } from '../../src/lab/faultInjection.js';

describe('lab fault names', () => {
  it('parses every named fault and slow:MS, and nothing else', () => {
    for (const name of NAMED_FAULTS) expect(parseFault(name)).toEqual({ kind: name });
    expect(parseFault('slow:250')).toEqual({ kind: 'slow', delayMs: 250 });
    expect(parseFault('issueSomething')).toBeUndefined();
  });
  it('tells the faults that replace the answer from those that change it', () => {
    expect(isTransportFault({ kind: 'hang' })).toBe(true);
    expect(isTransportFault({ kind: 'issueExpired' })).toBe(false);
    expect(isTransportFault({ kind: 'slow', delayMs: 1 })).toBe(false);
  });
});
