// A lab plus a config file pointing at it, for end-to-end tests of the agent commands.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { runCli } from '../../src/cli/main.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab, LabTemplate } from '../../src/lab/lab.js';
import { openssl } from '../helpers/tools.js';
import { captureContext } from '../helpers/cliContext.js';

export const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
export const CEP_CERTIFICATE = 'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate';
export const CES_USERNAME = 'LAB-ISSUING-CA_CES_UsernamePassword';
export const CES_CERTIFICATE = 'LAB-ISSUING-CA_CES_Certificate';

const OID_BASE = '1.3.6.1.4.1.311.21.8.7510143.1436283.9';
const KBR_ENROLLMENT = 0x20 | 0x2 | 0x40 | 0x10000;
const KBR_SUBJECT = 0x1 | 0x8 | 0x10000;

/** Templates sized for tests: EC P-256 allowed (minimal key length 256), second-scale lifetimes. */
export const TEST_TEMPLATES: LabTemplate[] = [
  { name: 'TestPending', oid: `${OID_BASE}.1`, validitySeconds: 3600, renewalSeconds: 600, minimalKeyLength: 256, enrollmentFlags: 0x20 | 0x2 },
  // The KBR guide's template with the 120 s / 40 s lifecycle of the acceptance tests.
  { name: 'TestKBR', oid: `${OID_BASE}.2`, validitySeconds: 120, renewalSeconds: 40, minimalKeyLength: 256, enrollmentFlags: KBR_ENROLLMENT, subjectNameFlags: KBR_SUBJECT },
  // Issued at once, key-based renewal allowed, expires within seconds (the expiry test).
  { name: 'TestShort', oid: `${OID_BASE}.3`, validitySeconds: 5, renewalSeconds: 2, minimalKeyLength: 256, enrollmentFlags: 0x20 | 0x40 | 0x10000, subjectNameFlags: KBR_SUBJECT },
  // Issued at once, key-based renewal allowed, long-lived (renewal and crash tests).
  { name: 'TestInstant', oid: `${OID_BASE}.4`, validitySeconds: 3600, renewalSeconds: 600, minimalKeyLength: 256, enrollmentFlags: 0x20 | 0x40 | 0x10000, subjectNameFlags: KBR_SUBJECT },
];

export interface CertificateEntry {
  id: string;
  template: string;
  subject?: string;
  dns?: string[];
  reuseKey?: boolean;
  /** Output files under <work>/out/<id>.* unless false. */
  outputs?: boolean;
  /** Deploy hook commands. */
  deploy?: string[];
}

export interface AgentLab {
  lab: Lab;
  work: string;
  password: string;
  /** Writes a config for these certificates into a fresh folder; returns its path. */
  writeConfig(name: string, certificates: CertificateEntry[]): string;
  close(): Promise<void>;
}

export async function startAgentLab(options: { renegotiateClientCertificate?: boolean } = {}): Promise<AgentLab> {
  const work = mkdtempSync(join(tmpdir(), 'autoenroll-e2e-'));
  const lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, ...options });
  const user = lab.users[0] as { username: string; password: string };
  return {
    lab,
    work,
    password: user.password,
    writeConfig(name, certificates) {
      const dir = join(work, name);
      const config = {
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: certificates.map((c) => ({
          id: c.id,
          template: c.template,
          subject: c.subject ?? `CN=${c.id}.lab.test`,
          dns: c.dns ?? [`${c.id}.lab.test`],
          key: { algorithm: 'EC', curve: 'P-256' },
          ...(c.reuseKey ? { reuseKey: true } : {}),
          ...(c.deploy ? { hooks: { deploy: c.deploy } } : {}),
          ...(c.outputs === false
            ? {}
            : { output: { cert: `./out/${c.id}.pem`, key: `./out/${c.id}.key`, chain: `./out/${c.id}-chain.pem` } }),
        })),
        transport: { connectTimeout: '5s', requestTimeout: '10s' },
      };
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'config.yaml');
      writeFileSync(file, stringify(config));
      return file;
    },
    async close() {
      await lab.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** An agent lab started before the tests of the enclosing describe and closed after them. */
export interface SharedAgentLab extends AgentLab {
  /** Environment for `cli`: the lab user's password in LAB_PASSWORD, as writeConfig's configs expect. */
  readonly vars: NodeJS.ProcessEnv;
}

/** Registers beforeAll/afterAll for an agent lab; the returned object reads the started one. */
export function useAgentLab(): SharedAgentLab {
  let started: AgentLab | undefined;
  beforeAll(async () => {
    started = await startAgentLab();
  });
  afterAll(async () => started?.close());
  const current = (): AgentLab => {
    if (!started) throw new Error('the agent lab is started in beforeAll');
    return started;
  };
  return {
    get lab() {
      return current().lab;
    },
    get work() {
      return current().work;
    },
    get password() {
      return current().password;
    },
    get vars() {
      return { LAB_PASSWORD: current().password };
    },
    writeConfig: (name, certificates) => current().writeConfig(name, certificates),
    close: async () => current().close(),
  };
}

/** The --json output of a pass command. */
export const passResult = (out: string): PassResult => JSON.parse(out) as PassResult;

/** Runs the CLI in-process; returns exit code, stdout and stderr. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const context = captureContext({ env: { ...process.env, ...env } });
  const code = await runCli(argv, context);
  return { code, out: context.out(), err: context.err() };
}

/** True when the private key in keyFile belongs to the certificate in certFile (openssl). */
export function keyMatchesCert(certFile: string, keyFile: string): boolean {
  const fromCert = openssl(['x509', '-in', certFile, '-noout', '-pubkey']);
  const fromKey = openssl(['pkey', '-in', keyFile, '-pubout']);
  return fromCert.status === 0 && fromKey.status === 0 && fromCert.stdout.trim() === fromKey.stdout.trim();
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
