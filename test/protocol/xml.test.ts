import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { attr, child, childText, children, isNil, parseXml, resolveQName } from '../../src/protocol/xml.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).code;
  }
  throw new Error('expected a ProtocolError');
}

describe('parseXml', () => {
  it('resolves namespaces whatever the prefixes', () => {
    const a = parseXml('<x:root xmlns:x="urn:a"><x:item n="1">one</x:item><item xmlns="urn:a">two</item></x:root>');
    expect(a.ns).toBe('urn:a');
    expect(children(a, 'urn:a', 'item').map((e) => e.text)).toEqual(['one', 'two']);
    expect(attr(child(a, 'urn:a', 'item'), '', 'n')).toBe('1');
  });

  it('does not count an element in a foreign namespace as the expected one', () => {
    const root = parseXml('<r xmlns="urn:a"><x:policy xmlns:x="urn:evil"/></r>');
    expect(child(root, 'urn:a', 'policy')).toBeUndefined();
  });

  it('keys namespaced attributes by {ns}local and leaves out xmlns declarations', () => {
    const root = parseXml('<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xml:lang="en" xsi:nil="true" plain="p"/>');
    expect(root.attrs).toEqual({
      '{http://www.w3.org/XML/1998/namespace}lang': 'en',
      '{http://www.w3.org/2001/XMLSchema-instance}nil': 'true',
      plain: 'p',
    });
    expect(isNil(root)).toBe(true);
  });

  it('treats xsi:nil="1" as nil and a nil child as having no text', () => {
    const root = parseXml('<r xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><v i:nil="1"/><w> 5 </w></r>');
    expect(childText(root, '', 'v')).toBeUndefined();
    expect(childText(root, '', 'w')).toBe('5');
  });

  it('decodes character references, CDATA and predefined entities', () => {
    const root = parseXml('<r>a&#xD;b&amp;<![CDATA[<c>]]></r>');
    expect(root.text).toBe('a\rb&<c>');
  });

  it('keeps leaf text verbatim and drops indentation between child elements', () => {
    const root = parseXml('<r>\n  <a>  x  </a>\n  <b> </b>mixed\n</r>');
    expect(root.children.map((c) => c.text)).toEqual(['  x  ', ' ']);
    expect(root.text).toBe('mixed\n');
  });

  it('accepts bytes with a UTF-8 BOM and rejects invalid UTF-8', () => {
    expect(parseXml(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('<r>é</r>')])).text).toBe('é');
    expect(codeOf(() => parseXml(new Uint8Array([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e])))).toBe('XML_ENCODING');
  });

  it('resolves QName text against the in-scope bindings', () => {
    const root = parseXml('<s:V xmlns:s="urn:soap"><s:W xmlns:a="urn:disp">a:Internal</s:W></s:V>');
    const w = root.children[0]!;
    expect(resolveQName(w, w.text)).toEqual({ ns: 'urn:disp', local: 'Internal' });
    expect(resolveQName(w, 's:Receiver')).toEqual({ ns: 'urn:soap', local: 'Receiver' });
  });
});

describe('parseXml on hostile input', () => {
  it('refuses a DOCTYPE', () => {
    expect(codeOf(() => parseXml('<!DOCTYPE r><r/>'))).toBe('XML_DOCTYPE');
  });

  it('refuses an entity declaration before anything is expanded (billion laughs)', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(codeOf(() => parseXml(lol))).toBe('XML_DOCTYPE');
  });

  it('refuses an external entity (XXE) without fetching it', () => {
    const xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(codeOf(() => parseXml(xxe))).toBe('XML_DOCTYPE');
  });

  it('refuses an undeclared entity reference', () => {
    expect(codeOf(() => parseXml('<r>&nbsp;</r>'))).toBe('XML_MALFORMED');
  });

  it('refuses an undeclared prefix', () => {
    expect(codeOf(() => parseXml('<a:r/>'))).toBe('XML_UNBOUND_PREFIX');
  });

  it('refuses malformed XML and an empty body', () => {
    expect(codeOf(() => parseXml('<r><a></r>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml(''))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('Unauthorized'))).toBe('XML_MALFORMED');
  });

  it('refuses a 50 MB body before parsing it', () => {
    const big = '<r>' + 'a'.repeat(50 * 1024 * 1024) + '</r>';
    const start = performance.now();
    expect(codeOf(() => parseXml(big))).toBe('XML_TOO_LARGE');
    expect(codeOf(() => parseXml(Buffer.from(big)))).toBe('XML_TOO_LARGE');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('counts bytes, not UTF-16 units, against the cap', () => {
    expect(codeOf(() => parseXml(`<r>${'é'.repeat(600)}</r>`, { maxBytes: 1000 }))).toBe('XML_TOO_LARGE');
    expect(parseXml(`<r>${'é'.repeat(400)}</r>`, { maxBytes: 1000 }).text).toHaveLength(400);
  });

  it('refuses 10,000-deep nesting', () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    expect(codeOf(() => parseXml(deep))).toBe('XML_TOO_DEEP');
    expect(parseXml('<a>'.repeat(100) + '</a>'.repeat(100)).local).toBe('a');
  });

  it('refuses too many elements', () => {
    expect(codeOf(() => parseXml('<r>' + '<e/>'.repeat(101) + '</r>', { maxElements: 100 }))).toBe('XML_TOO_MANY_ELEMENTS');
  });
});

describe('hostile input through the public parsers', () => {
  it('each parser refuses a DOCTYPE, deep nesting, a SOAP 1.1 envelope and a wrong namespace with a typed error', async () => {
    const { parseGetPoliciesResponse } = await import('../../src/protocol/xcepResponse.js');
    const { parseWstepResponse } = await import('../../src/protocol/wstepResponse.js');
    const { parseSoapRequest } = await import('../../src/protocol/soap.js');
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    const soap11 = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x/></e:Body></e:Envelope>';
    const wrongNs = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetPoliciesResponse xmlns="urn:not-xcep"/></s:Body></s:Envelope>';
    for (const parse of [parseGetPoliciesResponse, (x: string) => parseWstepResponse(x), parseSoapRequest]) {
      expect(codeOf(() => parse('<!DOCTYPE r [<!ENTITY x SYSTEM "http://evil/">]><r>&x;</r>'))).toBe('XML_DOCTYPE');
      expect(codeOf(() => parse(deep))).toBe('XML_TOO_DEEP');
      expect(codeOf(() => parse(soap11))).toBe('SOAP_VERSION');
    }
    expect(codeOf(() => parseGetPoliciesResponse(wrongNs))).toBe('XML_UNEXPECTED_ELEMENT');
    expect(codeOf(() => parseWstepResponse(wrongNs))).toBe('XML_UNEXPECTED_ELEMENT');
  });
});
