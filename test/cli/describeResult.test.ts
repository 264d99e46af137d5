// The one-line text form of a certificate's pass result: an error's code is printed once, even
// when the failover message already lists it for the endpoint that failed last.
import { describe, expect, it } from 'vitest';
import { describeResult } from '../../src/cli/agentRuntime.js';
import type { CertificateResult } from '../../src/engine/agentTypes.js';
import { TrustError, UnreachableError, errorToJson } from '../../src/errors.js';
import { withFailover } from '../../src/transport/failover.js';

const failed = (error: unknown): CertificateResult => ({
  id: 'web',
  action: 'enroll',
  planned: 'enroll/no-certificate',
  outcome: 'failed',
  status: 'NEW',
  error: errorToJson(error),
  generation: null,
  thumbprint: null,
  previousThumbprint: null,
  serial: null,
  notAfter: null,
  requestId: null,
  endpoint: null,
  nextEventAt: null,
  renewAt: null,
  outputs: [],
  warnings: [],
});

async function failoverError(make: (url: string) => Error): Promise<unknown> {
  const endpoints = [{ url: 'https://ces.lab.test/CES', priority: 1 }];
  return withFailover(endpoints, (e) => Promise.reject(make(e.url)), { random: () => 0 }).catch((error: unknown) => error);
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('describeResult', () => {
  it('prints the code of a TLS trust failure once', async () => {
    const error = await failoverError((url) => new TrustError('the server certificate was issued by an unknown CA', 'TLS_UNKNOWN_ISSUER', url));
    expect(error).toBeInstanceOf(TrustError);
    const line = describeResult(failed(error));
    expect(count(line, '[TLS_UNKNOWN_ISSUER]')).toBe(1);
    expect(line).toContain('https://ces.lab.test/CES: the server certificate was issued by an unknown CA [TLS_UNKNOWN_ISSUER]');
  });

  it('prints the code of an unreachable endpoint once', async () => {
    const error = await failoverError(() => new UnreachableError('connection refused', [], 'ECONNREFUSED'));
    expect(count(describeResult(failed(error)), '[ECONNREFUSED]')).toBe(1);
  });

  it('still appends the code when the message does not carry it', () => {
    const line = describeResult(failed(new TrustError('bad bundle', 'TLS_TRUST')));
    expect(line).toMatch(/— bad bundle \[TLS_TRUST\]$/);
  });
});
