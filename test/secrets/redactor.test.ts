import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, redact, registerSecret } from '../../src/secrets/redactor.js';

describe('redactor', () => {
  afterEach(() => clearSecrets());
  it('replaces a registered value in its raw, JSON-escaped and XML-escaped forms', () => {
    registerSecret('p@ss"<&>word');
    expect(redact('a p@ss"<&>word b')).toBe('a [REDACTED] b');
    expect(redact(JSON.stringify({ m: 'x p@ss"<&>word' }))).toBe('{"m":"x [REDACTED]"}');
    expect(redact('<Password>p@ss&quot;&lt;&amp;&gt;word</Password>')).toBe('<Password>[REDACTED]</Password>');
  });
  it('ignores values too short to redact and leaves other text alone', () => {
    registerSecret('abc');
    expect(redact('abc abc')).toBe('abc abc');
  });
});
