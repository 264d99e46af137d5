// Certificate templates of the lab, as the CEP publishes them and the CA enforces them. Flag
// values are the raw msPKI-* attribute values (protocol.md §2.3), so the agent sees the same
// numbers a Windows CEP sends.
import { OID } from './ca.js';

export const EnrollmentFlag = {
  pendAllRequests: 0x2,
  autoEnrollment: 0x20,
  previousApprovalValidateReenrollment: 0x40,
  allowKeyBasedRenewal: 0x10000,
} as const;
export const SubjectNameFlag = { enrolleeSuppliesSubject: 0x1, oldCertSuppliesSubjectAndAltName: 0x8, enrolleeSuppliesSubjectAltName: 0x10000 } as const;
export const PrivateKeyFlag = { exportableKey: 0x10, requireSameKeyRenewal: 0x80 } as const;
export const GeneralFlag = { autoEnrollment: 0x20, machineType: 0x40 } as const;

export interface LabTemplate {
  /** Template common name (what the agent's config names). */
  name: string;
  /** msPKI-Cert-Template-OID. */
  oid: string;
  /** policySchema: 1..4. */
  schema?: number;
  majorVersion?: number;
  minorVersion?: number;
  /** Certificate lifetime in seconds (the lab issues exactly this). */
  validitySeconds: number;
  /** Renewal period (pKIOverlapPeriod) in seconds. */
  renewalSeconds: number;
  /** msPKI-Enrollment-Flag; 0x2 = CA manager approval (pending). */
  enrollmentFlags?: number;
  /** msPKI-Certificate-Name-Flag. */
  subjectNameFlags?: number;
  /** msPKI-Private-Key-Flag; 0x80 = renewal must reuse the key. */
  privateKeyFlags?: number;
  generalFlags?: number;
  minimalKeyLength?: number;
  extendedKeyUsages?: string[];
  /** Common names of templates this one supersedes. */
  supersedes?: string[];
  autoEnroll?: boolean;
}

export type ResolvedTemplate = Required<LabTemplate>;

export function resolveTemplate(template: LabTemplate): ResolvedTemplate {
  return {
    name: template.name,
    oid: template.oid,
    validitySeconds: template.validitySeconds,
    renewalSeconds: template.renewalSeconds,
    schema: 2,
    majorVersion: 100,
    minorVersion: 1,
    enrollmentFlags: EnrollmentFlag.autoEnrollment,
    subjectNameFlags: SubjectNameFlag.enrolleeSuppliesSubject | SubjectNameFlag.enrolleeSuppliesSubjectAltName,
    privateKeyFlags: PrivateKeyFlag.exportableKey,
    generalFlags: GeneralFlag.autoEnrollment,
    minimalKeyLength: 2048,
    extendedKeyUsages: [OID.clientAuth],
    supersedes: [],
    autoEnroll: true,
    ...stripUndefined(template),
  };
}

export const pendsAllRequests = (t: ResolvedTemplate): boolean => (t.enrollmentFlags & EnrollmentFlag.pendAllRequests) !== 0;

/** Key-based renewal as the CA enforces it (protocol.md §5.3): 0x40 + 0x10000 + enrollee supplies subject. */
export function allowsKeyBasedRenewal(t: ResolvedTemplate): boolean {
  const kbr = EnrollmentFlag.previousApprovalValidateReenrollment | EnrollmentFlag.allowKeyBasedRenewal;
  return (t.enrollmentFlags & kbr) === kbr && (t.subjectNameFlags & SubjectNameFlag.enrolleeSuppliesSubject) !== 0;
}

/** Renewals signed by a valid certificate skip CA manager approval when 0x40 is set. */
export const renewalSkipsApproval = (t: ResolvedTemplate): boolean =>
  (t.enrollmentFlags & EnrollmentFlag.previousApprovalValidateReenrollment) !== 0;

export const requiresSameKey = (t: ResolvedTemplate): boolean => (t.privateKeyFlags & PrivateKeyFlag.requireSameKeyRenewal) !== 0;

const OID_BASE = '1.3.6.1.4.1.311.21.8.7510143.1436283.1';
const DAY = 24 * 3600;

/** Default templates: one issues at once, one pends, one for key-based renewal (pends first, renews directly), and a short-lived key-based-renewal one that issues at once. */
export function defaultTemplates(accelerate = false): LabTemplate[] {
  const life = (validity: number, renewal: number) =>
    accelerate ? { validitySeconds: 120, renewalSeconds: 40 } : { validitySeconds: validity, renewalSeconds: renewal };
  return [
    {
      name: 'LabWebServer',
      oid: `${OID_BASE}.1`,
      ...life(365 * DAY, 42 * DAY),
      extendedKeyUsages: [OID.serverAuth, OID.clientAuth],
    },
    {
      name: 'LabPending',
      oid: `${OID_BASE}.2`,
      ...life(365 * DAY, 42 * DAY),
      enrollmentFlags: EnrollmentFlag.autoEnrollment | EnrollmentFlag.pendAllRequests,
    },
    {
      name: 'LabKBRComputer',
      oid: `${OID_BASE}.3`,
      ...life(2 * DAY, 8 * 3600),
      // The KBR guide's template: supply subject + use old subject, manager approval, valid existing
      // certificate, allow key-based renewal (subjectNameFlags 0x9, enrollmentFlags 0x10042 | autoenroll).
      subjectNameFlags: SubjectNameFlag.enrolleeSuppliesSubject | SubjectNameFlag.oldCertSuppliesSubjectAndAltName | SubjectNameFlag.enrolleeSuppliesSubjectAltName,
      enrollmentFlags:
        EnrollmentFlag.autoEnrollment | EnrollmentFlag.pendAllRequests | EnrollmentFlag.previousApprovalValidateReenrollment | EnrollmentFlag.allowKeyBasedRenewal,
      generalFlags: GeneralFlag.autoEnrollment | GeneralFlag.machineType,
      extendedKeyUsages: [OID.clientAuth, OID.serverAuth],
    },
    {
      // For learning: issued at once, valid 10 minutes, renewal period 4 minutes, key-based renewal
      // allowed: `autoenroll run` can be watched renewing it within minutes.
      name: 'LabKBRShort',
      oid: `${OID_BASE}.4`,
      ...life(10 * 60, 4 * 60),
      subjectNameFlags: SubjectNameFlag.enrolleeSuppliesSubject | SubjectNameFlag.oldCertSuppliesSubjectAndAltName | SubjectNameFlag.enrolleeSuppliesSubjectAltName,
      enrollmentFlags: EnrollmentFlag.autoEnrollment | EnrollmentFlag.previousApprovalValidateReenrollment | EnrollmentFlag.allowKeyBasedRenewal,
      generalFlags: GeneralFlag.autoEnrollment | GeneralFlag.machineType,
      extendedKeyUsages: [OID.clientAuth, OID.serverAuth],
    },
  ];
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
