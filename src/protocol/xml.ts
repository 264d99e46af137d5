// Namespace-aware XML parsing into a small element tree, on saxes. Hostile input is refused
// before it can cost anything: the byte cap is checked before parsing, a DOCTYPE (and with it any
// entity declaration) aborts the parse the moment it is seen, and depth and element counts are
// capped while parsing. saxes never fetches or expands anything beyond the five predefined
// entities and character references.
import { SaxesParser } from 'saxes';
import type { SaxesTagNS } from 'saxes';
import { ProtocolError } from '../errors.js';
import { NS } from './namespaces.js';

export interface XmlElement {
  /** Namespace URI ('' when the element is in no namespace). */
  ns: string;
  local: string;
  /** Attribute values keyed "{ns}local" for namespaced attributes and "local" for unprefixed ones. xmlns declarations are left out. Read-only when parsed. */
  attrs: Record<string, string>;
  /** Child elements in document order (read-only when parsed). */
  children: XmlElement[];
  /**
   * Direct text (character data and CDATA), untrimmed. For an element with child elements,
   * whitespace-only runs between the children (indentation) are left out.
   */
  text: string;
  line?: number;
  /** In-scope prefix → namespace bindings, for QName-valued text such as a SOAP fault code. */
  nsScope?: Readonly<Record<string, string>>;
}

export interface XmlLimits {
  /** Largest accepted body in bytes (UTF-8). Default 10 MiB. */
  maxBytes?: number;
  /** Deepest accepted element nesting. Default 128. */
  maxDepth?: number;
  /** Most elements accepted in one document. Default 1,000,000. */
  maxElements?: number;
}

export const DEFAULT_XML_LIMITS: Required<XmlLimits> = {
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 128,
  maxElements: 1_000_000,
};

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XSI_NIL = `{${NS.xsi}}nil`;
const WHITESPACE = /^[ \t\r\n]*$/;
// Most elements have no attributes and many no children: share frozen empties instead of
// allocating two objects per element (allocation dominates the cost of a large policy response).
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];
const ROOT_SCOPE: Readonly<Record<string, string>> = Object.freeze({ xml: 'http://www.w3.org/XML/1998/namespace' });

function byteLengthOver(input: string, max: number): boolean {
  // A UTF-16 code unit is at least one UTF-8 byte and at most three: decide cheaply when possible.
  if (input.length > max) return true;
  if (input.length * 3 <= max) return false;
  return Buffer.byteLength(input, 'utf8') > max;
}

function decode(input: Uint8Array): string {
  let bytes = input;
  let encoding = 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw new ProtocolError(`XML body is not valid ${encoding.toUpperCase()}`, 'XML_ENCODING', { cause: error });
  }
}

/** Parses a whole XML document and returns its root element, or throws a ProtocolError naming the cause. */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = {}): XmlElement {
  const maxBytes = limits.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const maxElements = limits.maxElements ?? DEFAULT_XML_LIMITS.maxElements;

  const size = typeof input === 'string' ? -1 : input.byteLength;
  if (size > maxBytes || (typeof input === 'string' && byteLengthOver(input, maxBytes))) {
    throw new ProtocolError(`XML body is larger than the ${maxBytes}-byte limit`, 'XML_TOO_LARGE');
  }
  let text = typeof input === 'string' ? input : decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;

  parser.on('doctype', () => {
    throw new ProtocolError('XML body has a DOCTYPE (DTDs and entity declarations are refused)', 'XML_DOCTYPE');
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    count++;
    if (count > maxElements) {
      throw new ProtocolError(`XML body has more than ${maxElements} elements`, 'XML_TOO_MANY_ELEMENTS');
    }
    if (stack.length >= maxDepth) {
      throw new ProtocolError(`XML body nests deeper than ${maxDepth} elements`, 'XML_TOO_DEEP');
    }
    const parent = stack[stack.length - 1];
    const parentScope = parent?.nsScope ?? ROOT_SCOPE;
    const declared = tag.ns;
    let scope = parentScope;
    if (declared !== undefined) {
      for (const _prefix in declared) {
        scope = { ...parentScope, ...declared };
        break;
      }
    }
    let attrs = NO_ATTRS;
    for (const key in tag.attributes) {
      const attribute = tag.attributes[key];
      if (attribute === undefined || attribute.uri === XMLNS_NS || (attribute.prefix === '' && attribute.local === 'xmlns')) continue;
      if (attrs === NO_ATTRS) attrs = {};
      attrs[attribute.uri === '' ? attribute.local : `{${attribute.uri}}${attribute.local}`] = attribute.value;
    }
    const element: XmlElement = { ns: tag.uri, local: tag.local, attrs, children: NO_CHILDREN, text: '', line: parser.line, nsScope: scope };
    if (parent) {
      if (parent.children === NO_CHILDREN) {
        parent.children = [element];
        // Indentation before the first child is layout, not content.
        if (parent.text !== '' && WHITESPACE.test(parent.text)) parent.text = '';
      } else parent.children.push(element);
    } else root = element;
    stack.push(element);
  });
  parser.on('text', (chunk) => {
    const current = stack[stack.length - 1];
    if (!current) return;
    // Whitespace between child elements is layout; skipping it keeps big indented bodies cheap.
    if (current.children === NO_CHILDREN) current.text = current.text === '' ? chunk : current.text + chunk;
    else if (!WHITESPACE.test(chunk)) current.text += chunk;
  });
  parser.on('cdata', (chunk) => {
    const current = stack[stack.length - 1];
    if (current) current.text += chunk;
  });
  parser.on('closetag', () => {
    stack.pop();
  });

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    if (/unbound namespace prefix/i.test(detail)) {
      throw new ProtocolError(`XML body uses an undeclared namespace prefix (${detail})`, 'XML_UNBOUND_PREFIX', { cause: error });
    }
    throw new ProtocolError(`XML body is not well-formed: ${detail}`, 'XML_MALFORMED', { cause: error });
  }
  if (!root) throw new ProtocolError('XML body has no root element', 'XML_MALFORMED');
  return root;
}

/** The first child element with this namespace and local name. */
export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  if (!el) return undefined;
  const kids = el.children;
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i] as XmlElement;
    if (c.local === local && c.ns === ns) return c;
  }
  return undefined;
}

/** Every child element with this namespace and local name, in document order. */
export function children(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.local === local && c.ns === ns);
}

/** True when the element carries xsi:nil="true" (or "1"). */
export function isNil(el: XmlElement | undefined): boolean {
  if (!el) return false;
  const value = el.attrs[XSI_NIL];
  if (value === undefined) return false;
  const v = value.trim();
  return v === 'true' || v === '1';
}

/** Trimmed text of the named child; undefined when the child is absent or nil. */
export function childText(el: XmlElement | undefined, ns: string, local: string): string | undefined {
  const c = child(el, ns, local);
  if (!c || isNil(c)) return undefined;
  return c.text.trim();
}

/** An attribute value: ns '' for an unprefixed attribute. */
export function attr(el: XmlElement | undefined, ns: string, local: string): string | undefined {
  if (!el) return undefined;
  return el.attrs[ns === '' ? local : `{${ns}}${local}`];
}

/** Resolves a QName written as element text (e.g. "s:Receiver") against the element's in-scope bindings. */
export function resolveQName(el: XmlElement, qname: string): { ns: string; local: string } {
  const trimmed = qname.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon === -1 ? '' : trimmed.slice(0, colon);
  const local = colon === -1 ? trimmed : trimmed.slice(colon + 1);
  const ns = el.nsScope?.[prefix] ?? '';
  return { ns, local };
}

/** Throws unless the element has this namespace and local name (a wrong namespace is a protocol error, not a miss). */
export function expectElement(el: XmlElement | undefined, ns: string, local: string, what: string): XmlElement {
  if (!el) throw new ProtocolError(`${what}: expected {${ns}}${local}, found nothing`, 'XML_UNEXPECTED_ELEMENT');
  if (el.local !== local || el.ns !== ns) {
    throw new ProtocolError(`${what}: expected {${ns}}${local}, found {${el.ns}}${el.local}`, 'XML_UNEXPECTED_ELEMENT');
  }
  return el;
}
