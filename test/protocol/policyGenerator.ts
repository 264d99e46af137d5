// Generated PolicyResponse models shaped like a Windows CEP answer: a template OID per template,
// three extensions each (template information, EKU, key usage), RSA/SHA-256 algorithm references,
// two CAs with a username/password CES and a key-based-renewal CES. Used by tests and bench/protocol.ts.
import { randomBytes } from 'node:crypto';
import type { PolicyOid, PolicyResponse, Template } from '../../src/protocol/policyModel.js';
import {
  decodeEnrollmentFlags,
  decodeGeneralFlags,
  decodePrivateKeyFlags,
  decodeSubjectNameFlags,
} from '../../src/protocol/templateFlags.js';

export interface TemplateSeed {
  commonName: string;
  validitySeconds: number;
  renewalSeconds: number;
  minimalKeyLength: number;
  privateKeyFlags: number;
  subjectNameFlags: number;
  enrollmentFlags: number;
  generalFlags: number;
  major: number;
  minor: number;
  superseded: string[];
  providers: string[];
  critical: boolean;
  enroll: boolean;
  autoEnroll: boolean;
}

const FIXED_OIDS: PolicyOid[] = [
  { referenceId: 1, value: '2.16.840.1.101.3.4.2.1', group: 1, defaultName: 'sha256' },
  { referenceId: 2, value: '1.2.840.113549.1.1.1', group: 3, defaultName: 'RSA' },
  { referenceId: 3, value: '1.3.6.1.4.1.311.21.7', group: 6, defaultName: 'Certificate Template Information' },
  { referenceId: 4, value: '2.5.29.37', group: 6, defaultName: 'Enhanced Key Usage' },
  { referenceId: 5, value: '2.5.29.15', group: 6, defaultName: 'Key Usage' },
  { referenceId: 6, value: '1.3.6.1.5.5.7.3.2', group: 7, defaultName: 'Client Authentication' },
];

export function templateSeed(i: number): TemplateSeed {
  return {
    commonName: `Template${i}`,
    validitySeconds: 31536000,
    renewalSeconds: 3628800,
    minimalKeyLength: 2048,
    privateKeyFlags: 0x01010010,
    subjectNameFlags: 0x1 | 0x8,
    enrollmentFlags: 0x20 | 0x40 | 0x10000 | (i % 7 === 0 ? 0x2 : 0),
    generalFlags: 0x20 | 0x40 | 0x200,
    major: 100 + (i % 5),
    minor: i % 11,
    superseded: i % 10 === 0 ? [`Old${i}`] : [],
    providers: ['Microsoft Software Key Storage Provider'],
    critical: i % 2 === 0,
    enroll: true,
    autoEnroll: i % 3 === 0,
  };
}

export function buildModel(seeds: TemplateSeed[], caCertificateDer: Uint8Array = new Uint8Array(randomBytes(1400))): PolicyResponse {
  const oids: PolicyOid[] = [...FIXED_OIDS];
  const templates: Template[] = seeds.map((s, i) => {
    const templateOid: PolicyOid = { referenceId: 100 + i, value: `1.3.6.1.4.1.311.21.8.1234567.7654321.${i + 1}`, group: 9, defaultName: s.commonName };
    oids.push(templateOid);
    const resolved = (o: PolicyOid) => ({ value: o.value, defaultName: o.defaultName, group: o.group });
    const ext = (ref: number, bytes: number[], critical: boolean) => {
      const o = FIXED_OIDS.find((f) => f.referenceId === ref)!;
      return { oid: o.value, name: o.defaultName, oidReference: ref, critical, valueDer: new Uint8Array(bytes) };
    };
    return {
      commonName: s.commonName,
      oidReference: templateOid.referenceId,
      oid: resolved(templateOid),
      schemaVersion: 2,
      validitySeconds: s.validitySeconds,
      renewalSeconds: s.renewalSeconds,
      permission: { enroll: s.enroll, autoEnroll: s.autoEnroll },
      keyRequirements: {
        minimalKeyLength: s.minimalKeyLength,
        keySpec: 1,
        keyUsageProperty: null,
        permissions: null,
        algorithmOid: resolved(FIXED_OIDS[1]!),
        cryptoProviders: s.providers,
      },
      revision: { major: s.major, minor: s.minor },
      supersededTemplates: s.superseded,
      privateKeyFlags: s.privateKeyFlags >>> 0,
      subjectNameFlags: s.subjectNameFlags >>> 0,
      enrollmentFlags: s.enrollmentFlags >>> 0,
      generalFlags: s.generalFlags >>> 0,
      flags: {
        privateKey: decodePrivateKeyFlags(s.privateKeyFlags),
        subjectName: decodeSubjectNameFlags(s.subjectNameFlags),
        enrollment: decodeEnrollmentFlags(s.enrollmentFlags),
        general: decodeGeneralFlags(s.generalFlags),
      },
      hashAlgorithmOid: resolved(FIXED_OIDS[0]!),
      rARequirements: i % 50 === 1 ? { signatures: 1, ekus: [resolved(FIXED_OIDS[5]!)], policies: [] } : null,
      keyArchival: null,
      extensions: [
        ext(3, [0x30, 0x0e, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x02, 0x01, 0x64, 0x02, 0x01, i % 128], false),
        ext(4, [0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02], false),
        ext(5, [0x03, 0x02, 0x05, 0xa0], s.critical),
      ],
      caReferences: [0, 1],
    };
  });
  const ca = (referenceId: number, host: string) => ({
    referenceId,
    certificateDer: caCertificateDer,
    enrollPermission: true,
    enrollmentUris: [
      { uri: `https://${host}/CA${referenceId}_CES_UsernamePassword/service.svc/CES`, clientAuthentication: 4, authentication: 'username' as const, priority: 1, renewalOnly: false },
      { uri: `https://${host}/CA${referenceId}_CES_Certificate/service.svc/CES`, clientAuthentication: 8, authentication: 'certificate' as const, priority: 1, renewalOnly: true },
    ],
  });
  return {
    policyId: '{5D3C3D4A-6B0E-4C8B-9D1A-ADC5B7A10001}',
    policyFriendlyName: 'Generated policy',
    nextUpdateHours: 8,
    policiesNotChanged: false,
    templates,
    cas: [ca(0, 'ca1.contoso.com'), ca(1, 'ca2.contoso.com:49999')],
    oids,
  };
}

/** A Windows-shaped policy with `count` templates. */
export function generatePolicyResponse(count: number): PolicyResponse {
  return buildModel(Array.from({ length: count }, (_, i) => templateSeed(i)));
}
