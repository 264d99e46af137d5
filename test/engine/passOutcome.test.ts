import { describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { aggregateExitCode, idleVerdict } from '../../src/engine/passOutcome.js';
import type { CertificateAction } from '../../src/engine/plannerTypes.js';

const action = (step: Partial<CertificateAction> & Pick<CertificateAction, 'kind'>): CertificateAction =>
  ({
    certificateId: 'web',
    status: 'VALID',
    renewAtMs: null,
    nextEventMs: null,
    timing: { notAfterMs: null, windowStartMs: null, retryAtMs: null, nextPollAtMs: null, pendingDeadlineMs: null },
    warnings: [],
    ...step,
  }) as CertificateAction;

describe('pass outcome', () => {
  it('aggregates exit codes by precedence 4 > 2 > 7 > 3 > 1 > 6 > 5 > 0', () => {
    expect(aggregateExitCode([])).toBe(0);
    expect(aggregateExitCode([0, 5, 6])).toBe(6);
    expect(aggregateExitCode([5, 3, 1])).toBe(3);
    expect(aggregateExitCode([3, 7])).toBe(7);
    expect(aggregateExitCode([7, 2])).toBe(2);
    expect(aggregateExitCode([2, 4, 0])).toBe(4);
    expect(aggregateExitCode([1, 5])).toBe(1);
  });

  it('an expired certificate under `renew` is exit 7 with the way out', () => {
    const verdict = idleVerdict(action({ kind: 'skip', reason: 'operation-filter', blocked: { kind: 're-enroll', reason: 'expired', targetTemplate: 'T' } }), null);
    expect(verdict.error?.exitCode).toBe(7);
    expect(verdict.error?.code).toBe('EXPIRED');
    expect(verdict.error?.message).toContain('autoenroll enroll');
  });

  it('no policy carries the policy step error (every CEP unreachable: exit 3)', () => {
    const unreachable = new UnreachableError('all down', []);
    expect(idleVerdict(action({ kind: 'needs-attention', reason: 'no-policy', message: 'x' }), unreachable).error).toBe(unreachable);
    expect(idleVerdict(action({ kind: 'needs-attention', reason: 'no-policy', message: 'x' }), null).error?.exitCode).toBe(4);
  });

  it('waiting is success; a template missing from the policy is a configuration error', () => {
    expect(idleVerdict(action({ kind: 'wait', reason: 'before-renewal', untilMs: 0 }), null)).toMatchObject({ outcome: 'nothing-due', error: null });
    expect(idleVerdict(action({ kind: 'needs-attention', reason: 'template-not-in-policy', message: 'm' }), null).error?.code).toBe('TEMPLATE_NOT_IN_POLICY');
    expect(idleVerdict(action({ kind: 'needs-attention', reason: 'issued-inside-window', message: 'm' }), null).error).toBeNull();
  });
});
