import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseXml } from '../../src/protocol/xml.js';
import { el, escapeXml, renderXml } from '../../src/protocol/xmlWriter.js';

describe('xmlWriter', () => {
  it('escapes markup and whitespace that normalization would change', () => {
    expect(escapeXml(`a&b<c>d"e'f\tg\nh\ri`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f&#x9;g&#xA;h&#xD;i');
  });

  it('refuses characters outside the XML 1.0 Char production without echoing the value', () => {
    for (const bad of ['\u0001', '\u0000', '\uFFFE', '\uD800', 'x\uDC00y', '\u001F']) {
      let error: unknown;
      try {
        escapeXml(`secret${bad}`, 'password');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).code).toBe('XML_INVALID_CHAR');
      expect((error as InputError).message).not.toContain('secret');
    }
    expect(escapeXml('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('renders nested elements, skips absent attributes and children', () => {
    const xml = renderXml(el('p:a', { 'xmlns:p': 'urn:p', x: undefined, y: '1' }, el('p:b'), undefined, false, 'text'));
    expect(xml).toBe('<p:a xmlns:p="urn:p" y="1"><p:b/>text</p:a>');
  });

  it('refuses an invalid element name', () => {
    expect(() => renderXml(el('a b'))).toThrow(InputError);
  });

  it('round-trips any XML-legal string through text and attributes', () => {
    const legal = fc.string({ unit: 'grapheme', maxLength: 60 });
    fc.assert(
      fc.property(legal, fc.string({ maxLength: 60 }).filter((s) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s)), (text, value) => {
        const root = parseXml(renderXml(el('r', { v: value }, text)));
        expect(root.text).toBe(text);
        expect(root.attrs.v).toBe(value);
        expect(root.children).toHaveLength(0);
      }),
      { numRuns: 300 },
    );
  });
});
