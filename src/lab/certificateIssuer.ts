// Turns an accepted request into a certificate and the CMC response that carries it: validity is
// the template's, to the second; the template extension, EKU and key usage come from the template.
import { OID, KeyUsageBit, issueCertificate, randomSerial } from './ca.js';
import { buildCmcResponse } from './cmcResponse.js';
import type { LabCore } from './labCore.js';
import type { LabCaMaterial } from './labPki.js';
import type { IssuanceData } from './requestStore.js';
import type { ResolvedTemplate } from './templates.js';

export interface IssuedCertificate {
  certDer: Buffer;
  cmcResponseDer: Buffer;
}

export function caMaterial(core: LabCore, caName: string): LabCaMaterial {
  const ca = core.pki.cas.get(caName);
  if (!ca) throw new Error(`lab CA ${caName} is not configured`);
  return ca;
}

export async function issueForRequest(core: LabCore, caName: string, template: ResolvedTemplate, issuance: IssuanceData, now: Date): Promise<IssuedCertificate> {
  const ca = caMaterial(core, caName);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const certDer = await issueCertificate(
    {
      subjectDer: Buffer.from(issuance.subjectDer, 'base64'),
      spkiDer: Buffer.from(issuance.spkiDer, 'base64'),
      notBefore,
      notAfter: new Date(notBefore.getTime() + template.validitySeconds * 1000),
      serial: randomSerial(),
      keyUsageBits: [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment],
      extendedKeyUsages: template.extendedKeyUsages.length > 0 ? template.extendedKeyUsages : [OID.clientAuth],
      ...(issuance.subjectAltNameDer !== undefined ? { subjectAltNameDer: Buffer.from(issuance.subjectAltNameDer, 'base64') } : {}),
      template: { oid: template.oid, majorVersion: template.majorVersion, minorVersion: template.minorVersion },
    },
    { certDer: ca.certDer, signingKey: ca.signingKey },
  );
  const cmcResponseDer = await buildCmcResponse({
    status: { kind: 'issued', certDer },
    chainDers: [ca.certDer, core.pki.root.certDer],
    signer: { certDer: ca.certDer, signingKey: ca.signingKey },
    now,
  });
  return { certDer, cmcResponseDer };
}
