// A tiny XML builder with one strict escaper for text and attribute values. Every value is checked
// against the XML 1.0 Char production first: a control character (U+0001…) or a lone surrogate
// cannot be written in XML 1.0 at all, so it is refused with a typed error instead of producing a
// document the server would reject or misread.
import { InputError } from '../errors.js';

/** Element name with its prefix ("s:Envelope"); attributes by qualified name; children are nodes or text. */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string | undefined>;
  children?: (XmlNode | string | undefined | false)[];
}

// Everything outside #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NEEDS_ESCAPE = /[&<>"'\t\n\r]/;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Character references survive attribute-value and line-end normalization, so values round-trip.
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Throws InputError XML_INVALID_CHAR when value holds a character XML 1.0 cannot carry. The value itself is never echoed. */
export function assertXmlChars(value: string, what = 'value'): void {
  const match = NOT_XML_CHAR.exec(value);
  if (match) {
    const codePoint = match[0].codePointAt(0) ?? 0;
    const label = codePoint >= 0xd800 && codePoint <= 0xdfff ? 'an unpaired surrogate' : `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new InputError(`${what} contains a character that XML 1.0 cannot carry (${label})`, 'XML_INVALID_CHAR');
  }
}

/** The one escaper, for text and attribute values alike. */
export function escapeXml(value: string, what?: string): string {
  assertXmlChars(value, what);
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new InputError(`"${name}" is not a valid XML name`, 'XML_INVALID_NAME');
  return name;
}

/** Shorthand: el('s:Body', { ... }, child1, 'text', ...). Undefined/false children are skipped. */
export function el(name: string, attrs?: Record<string, string | undefined>, ...children: (XmlNode | string | undefined | false)[]): XmlNode {
  return attrs === undefined ? { name, children } : { name, attrs, children };
}

function write(node: XmlNode, out: string[]): void {
  out.push('<', checkName(node.name));
  if (node.attrs) {
    for (const key of Object.keys(node.attrs)) {
      const value = node.attrs[key];
      if (value === undefined) continue;
      out.push(' ', checkName(key), '="', escapeXml(value, `attribute ${key}`), '"');
    }
  }
  const kids = node.children?.filter((c): c is XmlNode | string => c !== undefined && c !== false) ?? [];
  if (kids.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const kid of kids) {
    if (typeof kid === 'string') out.push(escapeXml(kid, `text of ${node.name}`));
    else write(kid, out);
  }
  out.push('</', node.name, '>');
}

/** Serializes a node tree. With declaration, prefixes `<?xml version="1.0" encoding="utf-8"?>`. */
export function renderXml(node: XmlNode, options: { declaration?: boolean } = {}): string {
  const out: string[] = [];
  if (options.declaration) out.push('<?xml version="1.0" encoding="utf-8"?>');
  write(node, out);
  return out.join('');
}
