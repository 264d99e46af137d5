// Builders for planner inputs: a healthy key-based-renewal certificate by default, overridden per test.
import type {
  CertificatePlanInput,
  PlannerInput,
  PolicyTemplateView,
  TemplateFlagsView,
} from '../../src/engine/plannerTypes.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** 2030-01-01T00:00:00Z: an arbitrary fixed origin, far from the epoch. */
export const T0 = Date.UTC(2030, 0, 1);

export const KBR_FLAGS: TemplateFlagsView = {
  allowKeyBasedRenewal: true,
  previousApprovalValidateReenrollment: true,
  pendAllRequests: true,
  skipAutoRenewal: false,
  requireSameKeyRenewal: false,
  enrolleeSuppliesSubject: true,
};

export function template(overrides: Partial<Omit<PolicyTemplateView, 'flags'>> & { flags?: Partial<TemplateFlagsView> } = {}): PolicyTemplateView {
  const { flags, ...rest } = overrides;
  return {
    commonName: 'KBRComputer',
    oid: '1.3.6.1.4.1.311.21.8.1.2.3',
    validitySeconds: 120,
    renewalSeconds: 40,
    majorRevision: 100,
    ...rest,
    flags: { ...KBR_FLAGS, ...flags },
  };
}

type CertOverrides = Partial<Omit<CertificatePlanInput, 'configured' | 'endpoints'>> & {
  configured?: Partial<CertificatePlanInput['configured']>;
  endpoints?: Partial<CertificatePlanInput['endpoints']>;
};

/** A 120 s certificate issued at T0 from a KBR template with a 40 s renewal period. */
export function cert(overrides: CertOverrides = {}): CertificatePlanInput {
  const { configured, endpoints, ...rest } = overrides;
  return {
    id: 'machine',
    passwordCredentials: true,
    template: template(),
    current: {
      notBeforeMs: T0,
      notAfterMs: T0 + 120 * SECOND,
      templateOid: '1.3.6.1.4.1.311.21.8.1.2.3',
      templateMajorVersion: 100,
      thumbprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
    },
    pending: null,
    failures: { consecutiveFailures: 0 },
    ...rest,
    configured: { template: 'KBRComputer', reuseKey: false, ...configured },
    endpoints: { keyBasedRenewal: true, usernameEnrollment: true, ...endpoints },
  };
}

export function input(certificates: CertificatePlanInput[], overrides: Partial<PlannerInput> = {}): PlannerInput {
  return {
    hostId: 'ws01.contoso.com',
    policy: { fetchedAtMs: T0, nextUpdateAtMs: T0 + 8 * HOUR },
    certificates,
    ...overrides,
  };
}
