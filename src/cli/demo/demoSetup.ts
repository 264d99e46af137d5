// What the demo sets up: a lab with one key-based-renewal template short enough that its renewal
// window opens within seconds, a CA with two renewal-only certificate CES instances (priority 1
// and a priority 2 backup, each on its own port so "down" is a closed port), and the agent's
// configuration file pointing at it, exactly as an administrator would write one.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Lab, LabCaOptions, LabEndpoint, LabTemplate } from '../../lab/lab.js';

export const DEMO_CA = 'LAB-ISSUING-CA';
export const DEMO_CERTIFICATE_ID = 'demo-host';
export const DEMO_SUBJECT = 'CN=demo-host.lab.test';
export const DEMO_DNS = 'demo-host.lab.test';
/** The environment variable the demo config names for the enrollment password. */
export const DEMO_PASSWORD_VARIABLE = 'AUTOENROLL_DEMO_PASSWORD';

export const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
export const CEP_CERTIFICATE = 'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate';
export const CES_USERNAME = `${DEMO_CA}_CES_UsernamePassword`;
export const CES_CERTIFICATE_PRIMARY = `${DEMO_CA}_CES_Certificate`;
export const CES_CERTIFICATE_BACKUP = `${DEMO_CA}_CES_Certificate#2`;

/**
 * The KBR guide's template (enrollee supplies subject + old certificate supplies it, CA manager
 * approval, "valid existing certificate" re-enrollment, key-based renewal allowed), with a 24 s
 * lifetime and a 10 s renewal period: the window opens at notBefore + 14 s.
 */
export const DEMO_TEMPLATE: LabTemplate = {
  name: 'DemoKBRComputer',
  oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.1.20',
  validitySeconds: 24,
  renewalSeconds: 10,
  minimalKeyLength: 2048,
  subjectNameFlags: 0x1 | 0x8 | 0x10000,
  enrollmentFlags: 0x20 | 0x2 | 0x40 | 0x10000,
  generalFlags: 0x20 | 0x40,
};

export const DEMO_CAS: LabCaOptions[] = [
  {
    name: DEMO_CA,
    usernameCes: [{ priority: 1 }],
    certificateCes: [
      { priority: 1, port: 0 },
      { priority: 2, port: 0 },
    ],
  },
];

export interface DemoAgentFiles {
  agentDir: string;
  configPath: string;
  certPath: string;
  keyPath: string;
  chainPath: string;
}

/** Writes the agent's config.yaml under `agentDir`: relative paths, the password by env reference. */
export async function writeDemoConfig(lab: Lab, agentDir: string): Promise<DemoAgentFiles> {
  await mkdir(agentDir, { recursive: true, mode: 0o700 });
  const user = lab.users[0];
  if (!user) throw new Error('the lab has no user');
  const config = {
    stateDir: './state',
    trust: { caFile: lab.trustBundlePath },
    policyServers: [
      { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
      { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: DEMO_PASSWORD_VARIABLE } },
    ],
    certificates: [
      {
        id: DEMO_CERTIFICATE_ID,
        template: DEMO_TEMPLATE.name,
        subject: DEMO_SUBJECT,
        dns: [DEMO_DNS],
        key: { algorithm: 'RSA', size: 2048 },
        output: { cert: `./out/${DEMO_CERTIFICATE_ID}.pem`, key: `./out/${DEMO_CERTIFICATE_ID}.key`, chain: './out/chain.pem' },
      },
    ],
    // The lab listens on loopback: never send that through a proxy from the environment.
    transport: { connectTimeout: '5s', requestTimeout: '15s', noProxy: ['127.0.0.1', 'localhost'] },
    logging: { format: 'json' },
  };
  const configPath = join(agentDir, 'config.yaml');
  await writeFile(configPath, `# Written by "autoenroll demo".\n${stringify(config)}`, { mode: 0o600 });
  return {
    agentDir,
    configPath,
    certPath: join(agentDir, 'out', `${DEMO_CERTIFICATE_ID}.pem`),
    keyPath: join(agentDir, 'out', `${DEMO_CERTIFICATE_ID}.key`),
    chainPath: join(agentDir, 'out', 'chain.pem'),
  };
}

export function endpointByUrl(lab: Lab, url: string | null): LabEndpoint | undefined {
  return url === null ? undefined : lab.endpoints.find((e) => e.url === url);
}
