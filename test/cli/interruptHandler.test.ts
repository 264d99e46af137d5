// The CLI's signal handling, driven with a stand-in signal source: the first signal aborts the
// command's AbortSignal with an InterruptedError, a second SIGINT exits at once, an interrupted
// one-shot command always ends 130 / 143 and says so.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { installInterruptHandler, throwIfInterrupted } from '../../src/cli/interrupts.js';

function harness(command: string | undefined) {
  const source = new EventEmitter();
  const exits: number[] = [];
  let err = '';
  const handler = installInterruptHandler(command, { write: (t: string) => (err += t) }, (code) => void exits.push(code), source);
  return { source, exits, handler, err: () => err };
}

describe('interrupt handler', () => {
  it('first SIGINT aborts with an InterruptedError (exit 130); a second SIGINT exits immediately', () => {
    const h = harness('enroll');
    h.source.emit('SIGINT');
    expect(h.handler.signal.aborted).toBe(true);
    expect(h.handler.signal.reason).toBeInstanceOf(InterruptedError);
    expect((h.handler.signal.reason as InterruptedError).exitCode).toBe(130);
    expect(() => throwIfInterrupted(h.handler.signal)).toThrow(InterruptedError);
    expect(h.exits).toEqual([]);
    h.source.emit('SIGINT');
    expect(h.exits).toEqual([130]);
    expect(h.err()).toContain('interrupted');
  });

  it('an interrupted one-shot command ends 143 after SIGTERM even when it returned 0', () => {
    const h = harness('renew');
    h.source.emit('SIGTERM');
    expect(h.handler.finish(0)).toBe(143);
    expect(h.err()).toContain('interrupted');
  });

  it('run keeps its own exit code; without a signal nothing changes', () => {
    const service = harness('run');
    service.source.emit('SIGTERM');
    expect(service.handler.finish(0)).toBe(0);
    const quiet = harness('status');
    expect(quiet.handler.finish(4)).toBe(4);
    expect(quiet.err()).toBe('');
  });
});
