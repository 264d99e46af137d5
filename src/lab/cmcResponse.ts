// The CMC full PKI response a CES puts in the outer #PKCS7 token (protocol.md §4.5): CMS SignedData
// over id-cct-PKIResponse, signed by the issuing CA, with cMCStatus and — when issued — the
// szOID_ISSUED_CERT_HASH attribute; certificates = leaf + CA chain. Shape copied from the decoded
// MS-WSTEP example (adcs-rs standard_certificate_server_response_bst_outer.cms).
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { raw } from '../pki/asn1Build.js';
import { parsedCaCertificate, toArrayBuffer } from './ca.js';
import type { Issuer } from './ca.js';

const ID_CCT_PKI_RESPONSE = '1.3.6.1.5.5.7.12.3';
const ID_CMC_STATUS_INFO = '1.3.6.1.5.5.7.7.1';
const SZOID_CMC_ADD_ATTRIBUTES = '1.3.6.1.4.1.311.10.10.1';
const SZOID_ISSUED_CERT_HASH = '1.3.6.1.4.1.311.21.17';
const CONTENT_TYPE = '1.2.840.113549.1.9.3';
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const SHA256 = '2.16.840.1.101.3.4.2.1';

export type CmcResponseStatus =
  | { kind: 'issued'; certDer: Uint8Array }
  | { kind: 'pending'; requestId: string; text: string }
  | { kind: 'failed'; text: string };

export interface CmcResponseInput {
  status: CmcResponseStatus;
  /** Issuing CA certificate first, then its issuers. */
  chainDers: Uint8Array[];
  signer: Issuer;
  now?: Date;
}

/** DER ContentInfo. */
export async function buildCmcResponse(input: CmcResponseInput): Promise<Buffer> {
  const content = new Uint8Array(pkiResponse(input.status, input.now ?? new Date()).toBER(false));
  // Embedded byte for byte: pkijs would decode each certificate's TBS again and re-encode it, which
  // was most of the lab's cost per issued certificate.
  const certificates = [...(input.status.kind === 'issued' ? [input.status.certDer] : []), ...input.chainDers].map(
    (der) => ({ toSchema: () => raw(der) }) as unknown as pkijs.Certificate,
  );
  const signerDer = input.chainDers[0];
  if (!signerDer) throw new Error('buildCmcResponse: the issuing CA certificate is missing from the chain');
  const signerCert = parsedCaCertificate(signerDer);
  const digest = createHash('sha256').update(content).digest();
  const signedData = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: ID_CCT_PKI_RESPONSE,
      eContent: new asn1js.OctetString({ valueHex: toArrayBuffer(content) }),
    }),
    certificates,
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: ID_CCT_PKI_RESPONSE })] }),
            new pkijs.Attribute({ type: MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(digest) })] }),
          ],
        }),
      }),
    ],
  });
  signedData.digestAlgorithms = [new pkijs.AlgorithmIdentifier({ algorithmId: SHA256, algorithmParams: new asn1js.Null() })];
  await signedData.sign(input.signer.signingKey, 0, 'SHA-256');
  const contentInfo = new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

function pkiResponse(status: CmcResponseStatus, now: Date): asn1js.Sequence {
  const controls: asn1js.Sequence[] = [];
  const code = status.kind === 'issued' ? 0 : status.kind === 'failed' ? 2 : 3;
  const statusText = status.kind === 'issued' ? 'Issued' : status.text;
  const statusInfo: asn1js.BaseBlock[] = [
    new asn1js.Integer({ value: code }),
    new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }),
    new asn1js.Utf8String({ value: statusText }),
  ];
  if (status.kind === 'pending') {
    statusInfo.push(
      new asn1js.Sequence({
        value: [new asn1js.OctetString({ valueHex: toArrayBuffer(Buffer.from(status.requestId, 'ascii')) }), new asn1js.GeneralizedTime({ valueDate: now })],
      }),
    );
  } else if (status.kind === 'failed') {
    statusInfo.push(new asn1js.Integer({ value: 2 })); // CMCFailInfo badRequest
  }
  controls.push(taggedAttribute(1, ID_CMC_STATUS_INFO, new asn1js.Sequence({ value: statusInfo })));
  if (status.kind === 'issued') {
    const hash = createHash('sha1').update(status.certDer).digest();
    const addAttributes = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }),
        new asn1js.Set({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: SZOID_ISSUED_CERT_HASH }),
                new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: toArrayBuffer(hash) })] }),
              ],
            }),
          ],
        }),
      ],
    });
    controls.push(taggedAttribute(2, SZOID_CMC_ADD_ATTRIBUTES, addAttributes));
  }
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: controls }), new asn1js.Sequence(), new asn1js.Sequence()] });
}

function taggedAttribute(bodyPartId: number, type: string, value: asn1js.BaseBlock): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [new asn1js.Integer({ value: bodyPartId }), new asn1js.ObjectIdentifier({ value: type }), new asn1js.Set({ value: [value] })],
  });
}
