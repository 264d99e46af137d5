// Turns an accepted request into a certificate and the CMC response that carries it: validity is
// the template's, to the second; the template extension, EKU and key usage come from the template.
import { OID, KeyUsageBit, issueCertificate, randomSerial } from './ca.js';
import { buildCmcResponse } from './cmcResponse.js';
import type { LabCore } from './labCore.js';
import type { LabCaMaterial } from './labPki.js';
import { encodeDn } from '../pki/dn.js';
import type { LabFault } from './faultInjection.js';
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

/** SubjectAltName { dNSName "attacker.example" } (issueWrongSan). */
const WRONG_SAN_DER = Buffer.concat([Buffer.from([0x30, 0x12, 0x82, 0x10]), Buffer.from('attacker.example', 'ascii')]);
const HOUR_MS = 3_600_000;

/** Validity as the template says, or as an issuance fault bends it. */
function validity(now: Date, seconds: number, fault: LabFault | undefined): { notBefore: Date; notAfter: Date } {
  const start = Math.floor(now.getTime() / 1000) * 1000;
  if (fault?.kind === 'issueExpired') return { notBefore: new Date(start - 2 * HOUR_MS), notAfter: new Date(start - HOUR_MS) };
  if (fault?.kind === 'issueNotBeforeAhead') return { notBefore: new Date(start + 120_000), notAfter: new Date(start + 120_000 + seconds * 1000) };
  if (fault?.kind === 'issueNotYetValid') return { notBefore: new Date(start + 24 * HOUR_MS), notAfter: new Date(start + 24 * HOUR_MS + seconds * 1000) };
  return { notBefore: new Date(start), notAfter: new Date(start + seconds * 1000) };
}

export async function issueForRequest(core: LabCore, caName: string, template: ResolvedTemplate, issuance: IssuanceData, now: Date, fault?: LabFault): Promise<IssuedCertificate> {
  const ca = caMaterial(core, caName);
  const { notBefore, notAfter } = validity(now, template.validitySeconds, fault);
  const subjectDer = fault?.kind === 'issueWrongSubject' ? Buffer.from(encodeDn('CN=attacker.example,O=Not Requested')) : Buffer.from(issuance.subjectDer, 'base64');
  const sanDer = fault?.kind === 'issueWrongSan' ? WRONG_SAN_DER : issuance.subjectAltNameDer !== undefined ? Buffer.from(issuance.subjectAltNameDer, 'base64') : undefined;
  const certDer = await issueCertificate(
    {
      subjectDer,
      spkiDer: Buffer.from(issuance.spkiDer, 'base64'),
      notBefore,
      notAfter,
      serial: randomSerial(),
      keyUsageBits: [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment],
      extendedKeyUsages: template.extendedKeyUsages.length > 0 ? template.extendedKeyUsages : [OID.clientAuth],
      ...(sanDer !== undefined ? { subjectAltNameDer: sanDer } : {}),
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
