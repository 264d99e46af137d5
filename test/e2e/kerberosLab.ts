// A real MIT KDC plus a lab with Kerberos CEP/CES endpoints, and configs whose policy servers are
// the certificate CEP (key-based renewal) and the Kerberos CEP with the given ticket source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { CEP_KERBEROS } from '../../src/lab/labEndpoints.js';
import { startKdc } from '../helpers/kdc.js';
import type { Kdc } from '../helpers/kdc.js';
import { CEP_CERTIFICATE, TEST_TEMPLATES } from './agentLab.js';

export const CES_KERBEROS = 'LAB-ISSUING-CA_CES_Kerberos';
export const MACHINE = 'HOST$';
export const USER = 'alice';
export const USER_PASSWORD = 'Correct-Horse-7';

export interface KerberosLab {
  kdc: Kdc;
  lab: Lab;
  work: string;
  hostKeytab: string;
  /** kinit into a FILE: cache (lifetime e.g. "10h" or "2s"); returns the cache name. */
  kinit(name: string, lifetime?: string): string;
  writeConfig(name: string, kerberos: Record<string, unknown>, certificates: Array<{ id: string; template: string; deploy?: string[] }>, extra?: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startKerberosLab(options: { requireChannelBinding?: boolean } = {}): Promise<KerberosLab> {
  const kdc = await startKdc();
  const work = mkdtempSync(join(tmpdir(), 'autoenroll-kerberos-e2e-'));
  kdc.addPrincipal(MACHINE);
  kdc.addPrincipal(USER, USER_PASSWORD);
  kdc.addPrincipal('HTTP/127.0.0.1');
  const httpKeytab = kdc.keytab(join(work, 'http.keytab'), ['HTTP/127.0.0.1']);
  const hostKeytab = kdc.keytab(join(work, 'host.keytab'), [MACHINE]);
  const lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, kerberos: { keytab: httpKeytab, ...(options.requireChannelBinding ? { requireChannelBinding: true } : {}) } });
  return {
    kdc,
    lab,
    work,
    hostKeytab,
    kinit(name, lifetime = '10h') {
      const ccache = `FILE:${join(work, `${name}.ccache`)}`;
      const result = spawnSync('kinit', ['-l', lifetime, '-k', '-t', hostKeytab, MACHINE], { env: { PATH: process.env.PATH ?? '', ...kdc.env, KRB5CCNAME: ccache }, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`kinit: ${result.stderr}`);
      return ccache;
    },
    writeConfig(name, kerberos, certificates, extra = {}) {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      const config = {
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_KERBEROS).url, auth: 'kerberos', priority: 10, ...kerberos },
        ],
        certificates: certificates.map((c) => ({
          id: c.id,
          template: c.template,
          subject: `CN=${c.id}.lab.test`,
          dns: [`${c.id}.lab.test`],
          key: { algorithm: 'EC', curve: 'P-256' },
          output: { cert: `./out/${c.id}.pem`, key: `./out/${c.id}.key`, chain: `./out/${c.id}-chain.pem` },
          ...(c.deploy ? { hooks: { deploy: c.deploy, shell: true } } : {}),
        })),
        transport: { connectTimeout: '5s', requestTimeout: '10s' },
        ...extra,
      };
      const file = join(dir, 'config.yaml');
      writeFileSync(file, stringify(config));
      return file;
    },
    async close() {
      await lab.close();
      await kdc.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
