// What a CA sends back: the PKCS#7/CMC certificates, the CMC status and issued-certificate hash
// (protocol.md §4.5), and the checks before anything is installed: the leaf certifies our key,
// the chain links verify, it ends at a configured trust anchor, and the CMC hash matches.
// Malformed responses → ProtocolError (the endpoint answered wrongly); an untrusted chain → TrustError.
import { createHash } from 'node:crypto';
import { AutoenrollError, InputError, ProtocolError, TrustError } from '../errors.js';
import { Tag, at, bytesEqual, children, copyBytes, items, parseDer, readOctetString, readOid, readSmallInt, readString, type Tlv } from './der.js';
import { readCertificate } from './certInfo.js';
import { Oid } from './oids.js';
import { pemDecode } from './pem.js';
import { readSignedData } from './signedData.js';
import { issuedBy, parseX509 } from './x509Cache.js';
import type { ParsedX509 } from './x509Cache.js';

/** Runs a decoder over a server's answer: its malformed-input errors become ProtocolError (same code). */
function fromServer<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof InputError) throw new ProtocolError(error.message, error.code, { cause: error });
    throw error;
  }
}

/** The certificates of a PKCS#7 SignedData (degenerate "certs-only" or a CMC response). */
export function parsePkcs7Certificates(der: Uint8Array): Uint8Array[] {
  return fromServer(() => readSignedData(der, 'PKCS#7').certificates.map((certificate) => copyBytes(certificate.bytes)));
}

export type CmcStatus = 'success' | 'failed' | 'pending';

export interface CmcResponse {
  status?: CmcStatus;
  statusString?: string;
  /** CMCFailInfo when failed. */
  failInfo?: number;
  /** PendInfo.pendToken when pending (AD CS: the request ID as text). */
  pendToken?: Uint8Array;
  /** szOID_ISSUED_CERT_HASH (1.3.6.1.4.1.311.21.17): SHA-1 of the issued certificate. */
  issuedCertHashSha1?: Uint8Array;
  certificates: Uint8Array[];
}

const statusNames: Readonly<Record<number, CmcStatus>> = { 0: 'success', 2: 'failed', 3: 'pending', 4: 'failed', 5: 'failed', 6: 'failed' };

/** Reads a CMC full PKI response; a plain certs-only PKCS#7 gives just the certificates. */
export function readCmcResponse(der: Uint8Array): CmcResponse {
  return fromServer(() => {
    const signed = readSignedData(der, 'CMC response');
    const response: CmcResponse = { certificates: signed.certificates.map((certificate) => copyBytes(certificate.bytes)) };
    if (signed.contentType !== Oid.pkiResponse || signed.content === undefined) return response;
    const what = 'CMC PKIResponse';
    const body = items(parseDer(signed.content, what), Tag.SEQUENCE, what, 1);
    for (const tagged of items(at(body, 0, what), Tag.SEQUENCE, `${what} controls`)) {
      const parts = items(tagged, Tag.SEQUENCE, `${what} control`, 3);
      const type = readOid(at(parts, 1, what), `${what} control type`);
      const values = items(at(parts, 2, what), Tag.SET, `${what} control values`);
      for (const value of values) {
        if (type === Oid.cmcStatusInfo || type === Oid.cmcStatusInfoV2) readStatusInfo(value, response);
        else if (type === Oid.cmcAddAttributes) readAddAttributes(value, response);
      }
    }
    return response;
  });
}

/** CMCStatusInfo(V2) { cMCStatus, bodyList, statusString?, otherInfo? (failInfo INTEGER | pendInfo SEQUENCE { pendToken, pendTime }) }. */
function readStatusInfo(tlv: Tlv, response: CmcResponse): void {
  const what = 'CMC status info';
  const parts = items(tlv, Tag.SEQUENCE, what, 2);
  response.status = statusNames[readSmallInt(at(parts, 0, what), `${what} status`)] ?? 'failed';
  for (const part of parts.slice(2)) {
    const text = readString(part, what);
    if (text !== undefined) response.statusString = text;
    else if (part.tag === Tag.INTEGER) response.failInfo = readSmallInt(part, `${what} failInfo`);
    else if (part.tag === Tag.SEQUENCE) {
      const pendToken = children(part, `${what} pendInfo`)[0];
      if (pendToken?.tag === Tag.OCTET_STRING) response.pendToken = copyBytes(pendToken.value);
    }
  }
}

/** CMCAddAttributes { dataReference, certReferences, attributes SET OF Attribute }. */
function readAddAttributes(tlv: Tlv, response: CmcResponse): void {
  const what = 'CMC add-attributes';
  const parts = items(tlv, Tag.SEQUENCE, what, 3);
  for (const attribute of items(at(parts, 2, what), Tag.SET, `${what} attributes`)) {
    const fields = items(attribute, Tag.SEQUENCE, `${what} attribute`, 2);
    if (readOid(at(fields, 0, what), `${what} attribute type`) !== Oid.issuedCertHash) continue;
    const value = at(items(at(fields, 1, what), Tag.SET, what, 1), 0, what);
    response.issuedCertHashSha1 = copyBytes(readOctetString(value, `${what} issued certificate hash`));
  }
}

export interface AssembleIssuedOptions {
  /** The issued certificate (the `#X509v3` token). Without it, the certificate for our key is taken from the PKCS#7. */
  leafDer?: Uint8Array;
  /** The `#PKCS7` token: CMC response or certs-only PKCS#7. */
  pkcs7Der?: Uint8Array;
  /** CA certificates from the policy. */
  caCertificatesDer?: Uint8Array[];
  /** Our public key (SPKI DER): the leaf must certify it. */
  expectedPublicKeySpkiDer: Uint8Array;
  /** Configured trust anchors (PEM texts, each may hold several certificates). Without any, `anchored` is false. */
  trustAnchorsPem?: string[];
}

export interface IssuedMaterial {
  leafDer: Uint8Array;
  /** Issuer first, up to and including the root when it is known; never the leaf. */
  chainDer: Uint8Array[];
  thumbprintSha1: string;
  thumbprintSha256: string;
  /** True when the chain ends at one of the configured trust anchors. */
  anchored: boolean;
}

const maxChainLength = 10;

export function assembleIssued(options: AssembleIssuedOptions): IssuedMaterial {
  const cmc = options.pkcs7Der === undefined ? undefined : readCmcResponse(options.pkcs7Der);
  const pool = [...(cmc?.certificates ?? []), ...(options.caCertificatesDer ?? [])].map((der) => parseServerCertificate(der));
  let leafDer = options.leafDer;
  if (leafDer === undefined) {
    leafDer = pool.find((entry) => bytesEqual(readCertificate(entry.der).spki.bytes, options.expectedPublicKeySpkiDer))?.der;
    if (leafDer === undefined) throw new ProtocolError('the response holds no certificate for our public key', 'ISSUED_KEY_MISMATCH');
  }
  const leaf = parseServerCertificate(leafDer);
  if (!bytesEqual(fromServer(() => readCertificate(leaf.der, 'issued certificate')).spki.bytes, options.expectedPublicKeySpkiDer)) {
    throw new ProtocolError('the issued certificate does not certify our public key', 'ISSUED_KEY_MISMATCH');
  }
  if (cmc?.issuedCertHashSha1 !== undefined && !bytesEqual(cmc.issuedCertHashSha1, createHash('sha1').update(leaf.der).digest())) {
    throw new ProtocolError('the issued certificate does not match the hash in the CMC response', 'ISSUED_HASH_MISMATCH');
  }

  const anchors = (options.trustAnchorsPem ?? []).flatMap((pem) => pemDecode(pem, 'CERTIFICATE', 'trust anchors')).map((der) => parseAnchor(der));
  const chain: Parsed[] = [];
  let current = leaf;
  while (chain.length < maxChainLength && !isSelfIssued(current)) {
    const issuer = pool.find((entry) => !chain.includes(entry) && entry !== current && issues(entry, current));
    if (issuer === undefined) break;
    chain.push(issuer);
    current = issuer;
  }
  let anchored = anchors.some((anchor) => bytesEqual(anchor.der, current.der));
  if (!anchored) {
    const anchor = anchors.find((candidate) => issues(candidate, current));
    if (anchor !== undefined) {
      anchored = true;
      if (!bytesEqual(anchor.der, current.der)) chain.push(anchor);
    }
  }
  if (anchors.length > 0 && !anchored) {
    throw new TrustError(
      `the issued certificate's chain (${[leaf, ...chain].map((entry) => entry.x509.subject.replaceAll('\n', ',')).join(' ← ')}) does not lead to a configured trust anchor`,
      'ISSUED_CHAIN_UNTRUSTED',
    );
  }
  return {
    leafDer: copyBytes(leaf.der),
    chainDer: chain.map((entry) => copyBytes(entry.der)),
    thumbprintSha1: leaf.x509.fingerprint.replaceAll(':', ''),
    thumbprintSha256: leaf.x509.fingerprint256.replaceAll(':', ''),
    anchored,
  };
}

/** A certificate of the chain: its bytes and the (cached, see x509Cache.ts) parse of them. */
interface Parsed {
  der: Uint8Array;
  x509: ParsedX509['x509'];
  parsed: ParsedX509;
}

function issues(issuer: Parsed, subject: Parsed): boolean {
  return issuedBy(subject.parsed, issuer.parsed);
}

function isSelfIssued(certificate: Parsed): boolean {
  return issues(certificate, certificate);
}

function parseServerCertificate(der: Uint8Array): Parsed {
  return fromServer(() => toX509(der));
}

function parseAnchor(der: Uint8Array): Parsed {
  try {
    return toX509(der);
  } catch (error) {
    if (error instanceof AutoenrollError) throw new TrustError(`trust anchor unreadable: ${error.message}`, 'TRUST_ANCHOR_INVALID');
    throw error;
  }
}

function toX509(der: Uint8Array): Parsed {
  readCertificate(der);
  try {
    const parsed = parseX509(der);
    return { der, x509: parsed.x509, parsed };
  } catch (error) {
    throw new InputError(`certificate not readable as X.509 (${(error as Error).message})`, 'CERT_UNREADABLE');
  }
}
