import { describe, expect, it } from 'vitest';
import { deferReported } from '../../src/log/deferredLogger.js';
import { createLogger } from '../../src/log/logger.js';

describe('deferReported', () => {
  const setup = () => {
    let out = '';
    const logger = deferReported(createLogger({ sink: { write: (c: string) => (out += c) }, level: 'debug', format: 'json' }));
    return { logger, out: () => out.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { event: string }).event) };
  };

  it('holds the events the result repeats and drops them when the result reports the failure', () => {
    const { logger, out } = setup();
    logger.warn('policy.server_failed', { url: 'https://a' });
    logger.child({ id: 'web' }).error('certificate.failed', { code: 'X' });
    logger.info('request.pending');
    expect(out()).toEqual(['request.pending']);
    logger.release(true);
    expect(out()).toEqual(['request.pending']);
  });

  it('writes them, in order, when the result does not report them (a failover that succeeded)', () => {
    const { logger, out } = setup();
    logger.warn('policy.server_failed', { url: 'https://a' });
    logger.warn('ces.endpoint_failed', { url: 'https://b' });
    logger.release(false);
    expect(out()).toEqual(['policy.server_failed', 'ces.endpoint_failed']);
    logger.release(false);
    expect(out()).toHaveLength(2);
  });
});

describe('deferReported and routine events', () => {
  it('leaves out what the result line states anyway, keeps the rest', () => {
    let out = '';
    const logger = deferReported(createLogger({ sink: { write: (c: string) => (out += c) }, level: 'debug', format: 'json' }));
    logger.info('policy.fetched');
    logger.info('certificate.committed');
    logger.info('request.still_pending');
    expect(out.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['request.still_pending']);
  });
});
