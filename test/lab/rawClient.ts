// A deliberately independent client for the lab tests: hand-written SOAP, node:https, and the
// openssl CLI for keys, CSRs and CMS renewal requests — none of autoenroll's own client code.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export const NS_HEADER =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" ' +
  'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const GET_POLICIES = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies';
export const RST_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep';
const PKCS10 = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10';
const PKCS7 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7';
const B64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary';

export interface Credentials {
  username: string;
  password: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function envelope(action: string, to: string, body: string, user?: Credentials): string {
  const security = user
    ? `<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>${esc(user.username)}</wsse:Username>` +
      `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${esc(user.password)}</wsse:Password>` +
      `</wsse:UsernameToken></wsse:Security>`
    : '';
  return (
    `<s:Envelope ${NS_HEADER}><s:Header><a:Action s:mustUnderstand="1">${action}</a:Action>` +
    `<a:MessageID>urn:uuid:00000000-0000-4000-8000-${Date.now().toString().padStart(12, '0').slice(-12)}</a:MessageID>` +
    `<a:To s:mustUnderstand="1">${esc(to)}</a:To>${security}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

export function getPoliciesXml(to: string, user?: Credentials, lastUpdate?: string): string {
  const last = lastUpdate ? `<lastUpdate>${lastUpdate}</lastUpdate>` : '<lastUpdate xsi:nil="true"/>';
  return envelope(
    GET_POLICIES,
    to,
    `<GetPolicies xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"><client>${last}<preferredLanguage xsi:nil="true"/></client><requestFilter xsi:nil="true"/></GetPolicies>`,
    user,
  );
}

export function issueXml(to: string, der: Buffer, options: { user?: Credentials; cms?: boolean; template?: string } = {}): string {
  const context = options.template
    ? `<ac:AdditionalContext xmlns:ac="http://schemas.xmlsoap.org/ws/2006/12/authorization"><ac:ContextItem Name="CertificateTemplate"><ac:Value>${options.template}</ac:Value></ac:ContextItem></ac:AdditionalContext>`
    : '';
  return envelope(
    RST_ACTION,
    to,
    `<RequestSecurityToken xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512" PreferredLanguage="en-US">` +
      `<TokenType>http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3</TokenType>` +
      `<RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</RequestType>` +
      `<wsse:BinarySecurityToken ValueType="${options.cms ? PKCS7 : PKCS10}" EncodingType="${B64}">${der.toString('base64')}</wsse:BinarySecurityToken>` +
      `${context}<RequestID xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment" xsi:nil="true"/></RequestSecurityToken>`,
    options.user,
  );
}

export function queryXml(to: string, requestId: string, user?: Credentials): string {
  return envelope(
    RST_ACTION,
    to,
    `<RequestSecurityToken xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512">` +
      `<TokenType>http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3</TokenType>` +
      `<RequestType>http://schemas.microsoft.com/windows/pki/2009/01/enrollment/QueryTokenStatus</RequestType>` +
      `<RequestID xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment">${requestId}</RequestID></RequestSecurityToken>`,
    user,
  );
}

export interface HttpAnswer {
  status: number;
  body: string;
  contentType: string;
}

export function post(url: string, body: string, tls: { ca: string; cert?: string; key?: string; timeoutMs?: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        // Explicit: the environment cannot turn verification off for the tests' client either.
        rejectUnauthorized: true,
        agent: false,
        headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) },
        timeout: tls.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, contentType: String(res.headers['content-type'] ?? '') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Extracts one element's text by local name (test convenience; the real parsers are tested elsewhere). */
export function textOf(xml: string, local: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${local}>`).exec(xml)?.[1];
}

// ---- openssl ----

export function ossl(args: string[], input?: Buffer | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function rsaKey(dir: string, name: string, bits = 2048): string {
  const path = join(dir, `${name}.key`);
  ossl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', path]);
  return path;
}

/** DER of szOID_CERTIFICATE_TEMPLATE's value, made by openssl asn1parse -genconf. */
export function templateExtensionHex(dir: string, oid: string, major: number, minor: number): string {
  const conf = join(dir, `tmpl-${oid}-${major}-${minor}.cnf`);
  const out = `${conf}.der`;
  writeFileSync(conf, `asn1=SEQUENCE:tmpl\n[tmpl]\noid=OID:${oid}\nmajor=INTEGER:${major}\nminor=INTEGER:${minor}\n`);
  ossl(['asn1parse', '-genconf', conf, '-out', out, '-noout']);
  return readFileSync(out).toString('hex');
}

export function csr(dir: string, name: string, key: string, subject: string, extHex?: string, extra: string[] = []): Buffer {
  const out = join(dir, `${name}.csr.der`);
  ossl(['req', '-new', '-key', key, '-subj', subject, ...(extHex ? ['-addext', `1.3.6.1.4.1.311.21.7=DER:${extHex}`] : []), ...extra, '-outform', 'DER', '-out', out]);
  return readFileSync(out);
}

// Tiny DER helpers: only to add the renewal-certificate attribute, which `openssl req` cannot write.
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
function readChildren(der: Buffer): Buffer[] {
  const start = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const out: Buffer[] = [];
  let offset = start;
  while (offset < der.length) {
    const lenByte = der[offset + 1]!;
    const headerLen = lenByte & 0x80 ? 2 + (lenByte & 0x7f) : 2;
    let len = lenByte;
    if (lenByte & 0x80) {
      len = 0;
      for (let i = 0; i < (lenByte & 0x7f); i++) len = (len << 8) | der[offset + 2 + i]!;
    }
    out.push(der.subarray(offset, offset + headerLen + len));
    offset += headerLen + len;
  }
  return out;
}

/** A PKCS#10 (signed by `key`) carrying szOID_RENEWAL_CERTIFICATE = the old certificate. */
export function renewalCsr(dir: string, name: string, key: string, subject: string, extHex: string, oldCertPem: string): Buffer {
  const base = csr(dir, `${name}-base`, key, subject, extHex);
  const [info] = readChildren(base);
  const [version, subjectName, spki, attributes] = readChildren(info!);
  const oldDer = Buffer.from(oldCertPem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
  const renewalAttribute = tlv(0x30, Buffer.concat([Buffer.from('06092b0601040182370d01', 'hex'), tlv(0x31, oldDer)]));
  const attrContent = attributes ? attributes.subarray(attributes.length - readChildren(attributes).reduce((n, c) => n + c.length, 0)) : Buffer.alloc(0);
  const newInfo = tlv(0x30, Buffer.concat([version!, subjectName!, spki!, tlv(0xa0, Buffer.concat([attrContent, renewalAttribute]))]));
  const infoPath = join(dir, `${name}.info.der`);
  writeFileSync(infoPath, newInfo);
  const signature = ossl(['dgst', '-sha256', '-sign', key, infoPath]);
  const sha256WithRsa = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
  return tlv(0x30, Buffer.concat([newInfo, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

/** CMS SignedData over the request, signed by the old certificate's key (protocol.md §4.3). */
export function cmsSign(dir: string, name: string, requestDer: Buffer, signerCertPem: string, signerKey: string): Buffer {
  const input = join(dir, `${name}.req.der`);
  const signer = join(dir, `${name}.signer.pem`);
  const out = join(dir, `${name}.cms.der`);
  writeFileSync(input, requestDer);
  writeFileSync(signer, signerCertPem);
  ossl(['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-md', 'sha256', '-nosmimecap', '-noattr', '-signer', signer, '-inkey', signerKey, '-in', input, '-out', out]);
  return readFileSync(out);
}

export function certPemFromResponse(xml: string): string {
  const match = /ValueType="[^"]*#X509v3"[^>]*>([^<]+)</.exec(xml);
  if (!match?.[1]) throw new Error('no X509v3 token in the response');
  const b64 = match[1].replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
