// The envelope every lab response is wrapped in, shaped like WCF on IIS: a:Action with
// mustUnderstand, a:RelatesTo the request's MessageID, and the WCF diagnostics ActivityId header.
import { randomUUID } from 'node:crypto';
import { NS } from '../protocol/namespaces.js';
import { el, renderXml } from '../protocol/xmlWriter.js';
import type { XmlNode } from '../protocol/xmlWriter.js';

export interface ResponseEnvelope {
  action: string;
  /** The request's MessageID; absent when the request could not be read. */
  relatesTo?: string;
  body: XmlNode;
  /** Extra namespace declarations on s:Envelope. */
  namespaces?: Record<string, string>;
}

export function renderEnvelope(envelope: ResponseEnvelope): string {
  const activity = randomUUID();
  return renderXml(
    el(
      's:Envelope',
      { 'xmlns:s': NS.soap, 'xmlns:a': NS.wsa, ...envelope.namespaces },
      el(
        's:Header',
        {},
        el('a:Action', { 's:mustUnderstand': '1' }, envelope.action),
        envelope.relatesTo !== undefined && envelope.relatesTo !== '' ? el('a:RelatesTo', {}, envelope.relatesTo) : undefined,
        el('ActivityId', { CorrelationId: randomUUID(), xmlns: NS.wcfDiagnostics }, activity),
      ),
      el('s:Body', {}, envelope.body),
    ),
  );
}
