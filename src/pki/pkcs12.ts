// PKCS#12 (RFC 7292) with modern algorithms only: key and certificates encrypted with PBES2
// (PBKDF2-HMAC-SHA256, AES-256-CBC), MAC HMAC-SHA256 — what OpenSSL 3 writes by default and
// reads without -legacy. pkijs does the PKCS#12 structures and the PKCS#12 MAC key derivation.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, webcrypto, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';

export interface PfxOptions {
  privateKey: KeyObject;
  certificateDer: Uint8Array;
  /** Issuer first (as assembleIssued returns it). */
  chainDer: Uint8Array[];
  password: string;
  friendlyName?: string;
}

const iterations = 100_000;
const macIterations = 2048;
const encryption = { contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 }, hmacHashAlgorithm: 'SHA-256', iterationCount: iterations };

let engineReady = false;
function useNodeCrypto(): void {
  if (engineReady) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] }));
  engineReady = true;
}

export async function buildPfx(options: PfxOptions): Promise<Uint8Array> {
  if (options.password === '') throw new InputError('a PKCS#12 file needs a non-empty password', 'PFX_PASSWORD_EMPTY');
  useNodeCrypto();
  const password = bytes(Buffer.from(options.password, 'utf8'));
  const localKeyId = createHash('sha1').update(options.certificateDer).digest();
  const bagAttributes = [
    new pkijs.Attribute({ type: '1.2.840.113549.1.9.21', values: [new asn1js.OctetString({ valueHex: localKeyId })] }),
    ...(options.friendlyName === undefined ? [] : [new pkijs.Attribute({ type: '1.2.840.113549.1.9.20', values: [new asn1js.BmpString({ value: options.friendlyName })] })]),
  ];
  const pkcs8 = new Uint8Array(options.privateKey.export({ type: 'pkcs8', format: 'der' }));
  const keyBag = new pkijs.SafeBag({
    bagId: '1.2.840.113549.1.12.10.1.2',
    bagValue: new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(pkcs8) }),
    bagAttributes,
  });
  const certBags = [options.certificateDer, ...options.chainDer].map(
    (der, index) =>
      new pkijs.SafeBag({
        bagId: '1.2.840.113549.1.12.10.1.3',
        bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(der) }),
        ...(index === 0 ? { bagAttributes } : {}),
      }),
  );
  const keyContents = new pkijs.SafeContents({ safeBags: [keyBag] });
  const certContents = new pkijs.SafeContents({ safeBags: certBags });
  await (keyBag.bagValue as pkijs.PKCS8ShroudedKeyBag).makeInternalValues({ password, ...encryption });
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: { safeContents: [{ privacyMode: 0, value: keyContents }, { privacyMode: 1, value: certContents }] },
      }),
    },
  });
  await pfx.parsedValue?.authenticatedSafe?.makeInternalValues({ safeContents: [{}, { password, ...encryption }] });
  // The MAC key comes from the PKCS#12 KDF, which pkijs runs in JavaScript: OpenSSL's default
  // 2048 iterations keep it fast; the key itself is protected by PBKDF2 with `iterations` above.
  await pfx.makeInternalValues({ password, iterations: macIterations, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' } as pkijs.MakeInternalValuesParams);
  return new Uint8Array(pfx.toSchema().toBER());
}

function bytes(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
