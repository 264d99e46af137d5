// The lab's endpoint layout, mirroring the Windows key-based-renewal deployment (protocol.md §0):
// two CEP instances sharing one policy ID, and per CA a UsernamePassword CES and a renewal-only
// Certificate CES. Extra CES instances of a CA (for failover) get their own listener, so that
// "refuse connections" closes a real port.

export type EndpointKind = 'cep' | 'ces';
export type EndpointAuth = 'username' | 'certificate' | 'kerberos';

export interface LabCesOptions {
  /** XCEP priority: lower is preferred (default 1). */
  priority?: number;
  /** Own listener on this port (0 = ephemeral). The first instance shares the main port when absent. */
  port?: number;
}

export interface LabCaOptions {
  /** CA name, also the CES path prefix (e.g. LAB-ISSUING-CA). */
  name: string;
  /** Template names this CA issues (default: all lab templates). */
  templates?: string[];
  usernameCes?: LabCesOptions[];
  certificateCes?: LabCesOptions[];
}

export interface LabEndpoint {
  name: string;
  kind: EndpointKind;
  auth: EndpointAuth;
  url: string;
  caName?: string;
  priority: number;
  renewalOnly: boolean;
}

/** An endpoint before its listener is bound: `listener` is 'main' or a dedicated port request. */
export interface PlannedEndpoint extends Omit<LabEndpoint, 'url'> {
  path: string;
  listener: { kind: 'main' } | { kind: 'own'; port: number };
}

export const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
export const CEP_CERTIFICATE = 'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate';
export const DEFAULT_CA_NAME = 'LAB-ISSUING-CA';
export const CEP_KERBEROS = 'ADPolicyProvider_CEP_Kerberos';

/** With `kerberos`, a Kerberos CEP and per CA a Kerberos CES are added (Windows integrated authentication). */
export function planEndpoints(cas: readonly LabCaOptions[], kerberos = false): PlannedEndpoint[] {
  const endpoints: PlannedEndpoint[] = [
    // Priorities as in the Microsoft KBR guide: certificate CEP 1, username CEP 10.
    { name: CEP_USERNAME, kind: 'cep', auth: 'username', path: `/${CEP_USERNAME}/service.svc/CEP`, priority: 10, renewalOnly: false, listener: { kind: 'main' } },
    { name: CEP_CERTIFICATE, kind: 'cep', auth: 'certificate', path: `/${CEP_CERTIFICATE}/service.svc/CEP`, priority: 1, renewalOnly: false, listener: { kind: 'main' } },
  ];
  if (kerberos) endpoints.push({ name: CEP_KERBEROS, kind: 'cep', auth: 'kerberos', path: `/${CEP_KERBEROS}/service.svc/CEP`, priority: 5, renewalOnly: false, listener: { kind: 'main' } });
  for (const ca of cas) {
    const instances: Array<[EndpointAuth, LabCesOptions[]]> = [
      ['username', ca.usernameCes ?? [{}]],
      ['certificate', ca.certificateCes ?? [{}]],
      ...(kerberos ? [['kerberos', [{}]] as [EndpointAuth, LabCesOptions[]]] : []),
    ];
    for (const [auth, list] of instances) {
      const base = `${ca.name}_CES_${auth === 'username' ? 'UsernamePassword' : auth === 'kerberos' ? 'Kerberos' : 'Certificate'}`;
      list.forEach((instance, index) => {
        endpoints.push({
          name: index === 0 ? base : `${base}#${index + 1}`,
          kind: 'ces',
          auth,
          caName: ca.name,
          path: `/${base}/service.svc/CES`,
          priority: instance.priority ?? 1,
          renewalOnly: auth === 'certificate',
          listener: instance.port !== undefined ? { kind: 'own', port: instance.port } : index === 0 ? { kind: 'main' } : { kind: 'own', port: 0 },
        });
      });
    }
  }
  return endpoints;
}
