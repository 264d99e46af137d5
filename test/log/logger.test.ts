import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';

function sink(isTTY = false) {
  const lines: string[] = [];
  return { lines, write: (chunk: string) => lines.push(chunk), isTTY };
}

const fixed = () => new Date('2026-01-02T03:04:05.000Z');

describe('logger', () => {
  it('writes one JSON object per event with stable names and bound fields', () => {
    const s = sink();
    const log = createLogger({ sink: s, now: fixed }).child({ id: 'machine' });
    log.info('renewal.succeeded', { serial: '01AB' });
    expect(s.lines).toHaveLength(1);
    expect(JSON.parse(s.lines[0] as string)).toEqual({ time: '2026-01-02T03:04:05.000Z', level: 'info', event: 'renewal.succeeded', id: 'machine', serial: '01AB' });
  });

  it('writes readable lines on a terminal', () => {
    const s = sink(true);
    createLogger({ sink: s, now: fixed }).warn('endpoint.failed', { url: 'https://a/b', reason: 'connection refused' });
    expect(s.lines[0]).toBe('03:04:05 WARN  endpoint.failed url=https://a/b reason="connection refused"\n');
  });

  it('drops events below the level', () => {
    const s = sink();
    const log = createLogger({ sink: s, level: 'warn' });
    log.info('x');
    log.debug('y');
    log.error('z');
    expect(s.lines.map((l) => JSON.parse(l).event)).toEqual(['z']);
  });

  it('serializes errors without their stack', () => {
    const s = sink();
    createLogger({ sink: s }).error('pass.failed', { error: Object.assign(new Error('boom'), { code: 'X' }) });
    expect(JSON.parse(s.lines[0] as string).error).toEqual({ name: 'Error', message: 'boom', code: 'X' });
  });
});
