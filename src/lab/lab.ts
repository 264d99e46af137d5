// startLab: the in-process API of the CEP/CES emulator (used by `autoenroll lab`, the demo and the
// tests). See ../../README or `autoenroll lab --help` for the endpoint layout.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { LabFault } from './faultInjection.js';
import type { LabCore, LabUser } from './labCore.js';
import { DEFAULT_CA_NAME, planEndpoints } from './labEndpoints.js';
import type { LabCaOptions, LabEndpoint } from './labEndpoints.js';
import { loadOrCreatePki } from './labPki.js';
import { LabServer } from './labServer.js';
import { NegotiateAcceptor } from './negotiateAcceptor.js';
import type { LabKerberosOptions } from './negotiateAcceptor.js';
import { loadOrCreateState } from './labState.js';
import { RequestLog } from './requestLog.js';
import type { LabLogEntry, LabLogSink } from './requestLog.js';
import { RequestIdAllocator, decideRequest } from './requestStore.js';
import type { StoredRequest } from './requestStore.js';
import { defaultTemplates, resolveTemplate } from './templates.js';
import type { LabTemplate } from './templates.js';
import { readRevokedSerials } from './clientCertificate.js';
import { describeCertificate } from '../pki/certInfo.js';

export type { LabCaOptions, LabCesOptions, LabEndpoint } from './labEndpoints.js';
export type { LabFault } from './faultInjection.js';
export type { LabLogEntry } from './requestLog.js';
export type { LabTemplate } from './templates.js';
export type { LabUser } from './labCore.js';
export type { LabKerberosOptions } from './negotiateAcceptor.js';

export const DEFAULT_LAB_PORT = 49999;

export interface LabOptions {
  /** IIS-like: certificate endpoints ask for the client certificate by TLS 1.2 renegotiation, not in the handshake. */
  renegotiateClientCertificate?: boolean;
  /** State folder (PKI, users, requests, log); a new temporary folder when absent. */
  dir?: string;
  /** Main HTTPS port; default 49999; 0 = ephemeral. */
  port?: number;
  host?: '127.0.0.1';
  templates?: LabTemplate[];
  cas?: LabCaOptions[];
  users?: LabUser[];
  /** Second-scale default templates (120 s validity, 40 s renewal period). */
  accelerate?: boolean;
  /** Receives every request-log entry (a stream gets JSON lines). */
  log?: LabLogSink;
  /** Adds Kerberos CEP/CES endpoints, accepting tickets for the service principal whose keys are in this keytab (HTTP/127.0.0.1). */
  kerberos?: LabKerberosOptions;
}

export interface Lab {
  dir: string;
  endpoints: LabEndpoint[];
  trustBundlePem: string;
  trustBundlePath: string;
  users: LabUser[];
  policyId: string;
  templates: LabTemplate[];
  endpoint(name: string): LabEndpoint;
  approve(requestId: string): Promise<StoredRequest>;
  deny(requestId: string): Promise<StoredRequest>;
  /** Adds a certificate (PEM or DER) to the lab's revocation list. */
  revoke(certificate: string | Uint8Array): Promise<void>;
  setFault(endpointName: string, fault: LabFault | null): Promise<void>;
  requestLog(): LabLogEntry[];
  close(): Promise<void>;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'autoenroll-lab-')));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const templates = (options.templates ?? defaultTemplates(options.accelerate)).map(resolveTemplate);
  const casOptions = options.cas ?? [{ name: DEFAULT_CA_NAME }];
  for (const ca of casOptions) {
    const unknown = (ca.templates ?? []).filter((name) => !templates.some((t) => t.name === name));
    if (unknown.length > 0) throw new UsageError(`lab CA ${ca.name} publishes unknown templates: ${unknown.join(', ')}`, 'LAB_BAD_OPTIONS');
  }
  const [pki, state, ids] = await Promise.all([
    loadOrCreatePki(dir, casOptions.map((ca) => ca.name)),
    loadOrCreateState(dir, options.users),
    RequestIdAllocator.open(dir),
  ]);

  const host = options.host ?? '127.0.0.1';
  const server = new LabServer({ certPem: pki.tlsCertPem, keyPem: pki.tlsKeyPem }, host, options.renegotiateClientCertificate === true);
  if (options.kerberos) server.negotiate = new NegotiateAcceptor(options.kerberos);
  const planned = planEndpoints(casOptions, options.kerberos !== undefined);
  const endpoints: LabEndpoint[] = [];
  try {
    const main = await server.listen(options.port ?? DEFAULT_LAB_PORT);
    for (const plan of planned) {
      const listener = plan.listener.kind === 'main' ? main : await server.listen(plan.listener.port);
      const { path, listener: _unused, ...rest } = plan;
      const endpoint: LabEndpoint = { ...rest, url: `https://${host}:${listener.port}${path}` };
      listener.routes.set(path.toLowerCase(), endpoint);
      endpoints.push(endpoint);
    }
  } catch (error) {
    await server.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`lab port already in use (${(error as Error).message}); pick another with --port`, 'LAB_PORT_IN_USE');
    throw error;
  }

  const log = new RequestLog(dir, options.log);
  const core: LabCore = {
    dir,
    pki,
    templates,
    caTemplates: new Map(casOptions.map((ca) => [ca.name, templates.filter((t) => !ca.templates || ca.templates.includes(t.name))])),
    ids,
    policyId: state.policyId,
    policyChangedAt: new Date(),
    users: state.users,
    endpoints,
    log,
  };
  server.core = core;

  const findEndpoint = (name: string): LabEndpoint => {
    const endpoint = endpoints.find((e) => e.name === name);
    if (!endpoint) throw new UsageError(`the lab has no endpoint "${name}" (known: ${endpoints.map((e) => e.name).join(', ')})`, 'LAB_UNKNOWN_ENDPOINT');
    return endpoint;
  };

  return {
    dir,
    endpoints,
    trustBundlePem: pki.trustBundlePem,
    trustBundlePath: pki.trustBundlePath,
    users: state.users,
    policyId: state.policyId,
    templates,
    endpoint: findEndpoint,
    approve: (requestId) => decideRequest(dir, requestId, 'approved'),
    deny: (requestId) => decideRequest(dir, requestId, 'denied'),
    revoke: async (certificate) => {
      const der = typeof certificate === 'string' ? pemToDer(certificate) : certificate;
      const serials = readRevokedSerials(dir);
      serials.add(describeCertificate(der).serialHex);
      await writeFile(join(dir, 'revoked.json'), `${JSON.stringify([...serials])}\n`, { mode: 0o600 });
    },
    setFault: async (name, fault) => server.setFault(findEndpoint(name), fault),
    requestLog: () => log.all(),
    close: () => server.close(),
  };
}

function pemToDer(pem: string): Uint8Array {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (body === undefined) throw new UsageError('revoke expects a PEM certificate', 'LAB_BAD_CERTIFICATE');
  return new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}
