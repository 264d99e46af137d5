// `autoenroll request`: one enrollment with no config file and no state folder, like certreq.
// GetPolicies with a UsernameToken → the template → key + PKCS#10 → Issue at a username CES of a CA
// that issues the template (failover among them) → DIR/cert.pem, DIR/key.pem (0600), DIR/chain.pem.
//
// The key is written before the request is sent, and DIR/request.json records where it went, so
// a pending answer can be retrieved later (`--request-id`) and bound to the same key. A folder that
// already holds a certificate or a pending request is never overwritten.
import { ensureDir } from '../store/atomicFile.js';
import { fileSystemError } from '../store/fsErrors.js';
import { didYouMean } from './nearestNames.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CertificateConfig, KeyConfig } from '../config/types.js';
import { DEFAULTS } from '../config/types.js';
import { decodeSubjectNameFlags } from '../protocol/templateFlags.js';
import { EnrollmentDenied, InputError, UsageError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { describeCertificate } from '../pki/certInfo.js';
import { assembleIssued } from '../pki/issued.js';
import { formatKeySpec } from '../pki/keys.js';
import type { KeySpec } from '../pki/keys.js';
import { certificatePem, certificatesPem, pemDecode } from '../pki/pem.js';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../store/atomicFile.js';
import { ClientAuthentication, selectEnrollmentEndpoints } from '../transport/enrollmentEndpoints.js';
import { isFailoverError } from '../transport/failover.js';
import type { HttpsClient } from '../transport/httpsClient.js';
import { contributionOf, findPolicyTemplate, mergePolicy, POLICY_CACHE_SCHEMA_VERSION } from './cachedPolicy.js';
import type { CachedTemplate, PolicyView } from './cachedPolicy.js';
import { fetchPolicy } from './cepClient.js';
import { queryCes, submitToCes } from './cesClient.js';
import type { CesAnswer, CesCall, CesEndpoint } from './cesClient.js';
import type { EndpointCredential } from './endpointCredential.js';
import { enrollmentCandidates, invalidCaError } from './policyLookup.js';
import { checkIssuedCertificate, requestedNames } from './issuedChecks.js';
import type { RequestedNames } from './issuedChecks.js';
import { buildEnrollmentRequest, publicKeySpkiOfPem } from './requestBuilder.js';

/** `request` has no configuration: the default clock-skew tolerance. */
const ONE_SHOT_CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

export const REQUEST_RECORD_VERSION = 1 as const;
/** HRESULT of "no such request" (CERTSRV_E_PROPERTY_EMPTY): that CA does not know the RequestID. */
const NO_SUCH_REQUEST = 0x80094004 | 0;

export interface OneShotOptions {
  policyServerUrl: string;
  /** Template common name or OID. */
  template: string;
  username: string;
  password: string;
  subject?: string;
  dns: string[];
  ip: string[];
  upn: string[];
  email: string[];
  key?: KeySpec;
  outDir: string;
  /** Retrieve this pending request instead of submitting a new one. */
  requestId?: string;
  /** Trust anchors (PEM) the chain is completed with; also what verifies the servers (given to the HTTPS client). */
  caPem?: string;
}

export interface OneShotDeps {
  http: HttpsClient;
  now: () => number;
  random: () => number;
  logger: Logger;
  signal?: AbortSignal;
}

/** DIR/request.json: where the request went and what became of it. */
export interface RequestRecord {
  schemaVersion: typeof REQUEST_RECORD_VERSION;
  policyServer: string;
  template: string;
  /** The enrollment account (so that `--request-id` needs only the password). */
  username?: string;
  status: 'submitting' | 'pending' | 'issued' | 'denied';
  requestId: string | null;
  /** The CES URL that accepted the request (polled again there); null before any was tried. */
  endpoint: string | null;
  referenceUri?: string | null;
  /** ISO 8601. */
  submittedAt: string;
  /** Issuing CA certificates from the policy, to complete the chain at retrieval. */
  caCertificatesPem: string;
  /** What the issued certificate must name (issuedChecks.ts), read from the request when it was built. */
  requested?: RequestedNames;
}

export interface OneShotFiles {
  cert: string;
  key: string;
  chain: string;
  request: string;
}

export type OneShotResult =
  | {
      status: 'issued';
      requestId: string | null;
      endpoint: string;
      files: OneShotFiles;
      subject: string;
      serial: string;
      thumbprint: string;
      notAfter: string;
      /** The chain ends at a trust anchor of --ca-file. */
      anchored: boolean;
    }
  | { status: 'pending'; requestId: string; endpoint: string; files: OneShotFiles };

export function outputFiles(outDir: string): OneShotFiles {
  return {
    cert: path.join(outDir, 'cert.pem'),
    key: path.join(outDir, 'key.pem'),
    chain: path.join(outDir, 'chain.pem'),
    request: path.join(outDir, 'request.json'),
  };
}

function keyConfig(spec: KeySpec | undefined): KeyConfig | undefined {
  if (!spec) return undefined;
  return spec.algorithm === 'RSA' ? { algorithm: 'RSA', size: spec.bits } : { algorithm: 'EC', curve: spec.curve };
}

/** The command-line request as a certificate configuration, to build the request like the agent does. */
function certificateConfig(options: OneShotOptions): CertificateConfig {
  const key = keyConfig(options.key);
  return {
    id: 'request',
    template: options.template,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    dns: options.dns,
    ip: options.ip,
    upn: options.upn,
    email: options.email,
    ...(key ? { key } : {}),
    reuseKey: false,
    minRenewalFraction: DEFAULTS.minRenewalFraction,
    hooks: { deploy: [], failure: [], timeoutMs: DEFAULTS.hookTimeoutMs, shell: false },
  };
}

const exists = async (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );

async function fetchView(options: OneShotOptions, deps: OneShotDeps, credential: EndpointCredential): Promise<PolicyView> {
  const nowMs = deps.now();
  const response = await fetchPolicy(deps.http, options.policyServerUrl, credential, { now: new Date(nowMs), ...(deps.signal ? { signal: deps.signal } : {}) });
  const contribution = contributionOf(response, { url: options.policyServerUrl, auth: 'username' }, nowMs);
  return mergePolicy({ schemaVersion: POLICY_CACHE_SCHEMA_VERSION, policyId: response.policyId, sources: [contribution], consecutiveFailures: 0 });
}

function findTemplate(view: PolicyView, name: string, url: string): CachedTemplate {
  const template = findPolicyTemplate(view, name);
  if (template) return template;
  const names = view.templates.map((t) => t.commonName).sort();
  throw new UsageError(`the policy of ${url} has no template "${name}"${didYouMean(name, names)}${names.length > 0 ? ` (it offers: ${names.join(', ')})` : ' (it offers none to this account)'}`, 'TEMPLATE_NOT_IN_POLICY');
}

/** Username CES URIs of the CAs that issue the template (what a new request or a lost one may use). */
function usernameEndpoints(view: PolicyView, template: CachedTemplate, operation: 'enroll' | 'retrieve-any'): CesEndpoint[] {
  const candidates = enrollmentCandidates(view, template).filter((c) => c.clientAuthentication === ClientAuthentication.USERNAME_PASSWORD);
  return selectEnrollmentEndpoints(candidates, { operation: 'enroll', haveCertificate: false, havePassword: true }).filter((e) => operation === 'retrieve-any' || !e.renewalOnly);
}

function cesCall(deps: OneShotDeps, credential: EndpointCredential): CesCall {
  return {
    http: deps.http,
    random: deps.random,
    nowMs: deps.now,
    logger: deps.logger,
    ...(deps.signal ? { signal: deps.signal } : {}),
    credentialFor: () => Promise.resolve(credential),
  };
}

/** Writes cert.pem and chain.pem for an issued answer (chain first, certificate last). */
async function install(answer: Extract<CesAnswer, { kind: 'issued' }>, record: RequestRecord, keyPem: string, options: OneShotOptions, files: OneShotFiles, nowMs: number): Promise<OneShotResult> {
  const material = assembleIssued({
    leafDer: answer.certificateDer,
    ...(answer.pkcs7Der ? { pkcs7Der: answer.pkcs7Der } : {}),
    caCertificatesDer: record.caCertificatesPem ? pemDecode(record.caCertificatesPem, 'CERTIFICATE', 'CA certificates of the policy') : [],
    expectedPublicKeySpkiDer: publicKeySpkiOfPem(keyPem),
    ...(options.caPem ? { trustAnchorsPem: [options.caPem] } : {}),
  });
  checkIssuedCertificate({
    certificateId: 'request',
    description: describeCertificate(material.leafDer),
    requestId: answer.requestId ?? record.requestId,
    nowMs,
    toleranceMs: ONE_SHOT_CLOCK_SKEW_TOLERANCE_MS,
    requested: record.requested ?? { subject: null, san: null },
  });
  await writeFileAtomic(files.chain, certificatesPem(material.chainDer), { mode: 0o644 });
  await writeFileAtomic(files.cert, certificatePem(material.leafDer), { mode: 0o644 });
  const requestId = answer.requestId ?? record.requestId;
  await writeJsonAtomic(files.request, { ...record, status: 'issued', requestId, endpoint: answer.url }, { mode: 0o644 });
  const d = describeCertificate(material.leafDer);
  return {
    status: 'issued',
    requestId,
    endpoint: answer.url,
    files,
    subject: d.subject,
    serial: d.serialHex,
    thumbprint: d.thumbprintSha1,
    notAfter: d.notAfter.toISOString(),
    anchored: material.anchored,
  };
}

async function settle(answer: CesAnswer, record: RequestRecord, keyPem: string, options: OneShotOptions, files: OneShotFiles, nowMs: number): Promise<OneShotResult> {
  if (answer.kind === 'issued') return install(answer, record, keyPem, options, files, nowMs);
  await writeJsonAtomic(files.request, { ...record, status: 'pending', requestId: answer.requestId, endpoint: answer.url, referenceUri: answer.referenceUri }, { mode: 0o644 });
  return { status: 'pending', requestId: answer.requestId, endpoint: answer.url, files };
}

async function recordDenial<T>(work: Promise<T>, record: () => RequestRecord, file: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof EnrollmentDenied) await writeJsonAtomic(file, { ...record(), status: 'denied', requestId: error.requestId ?? record().requestId }, { mode: 0o644 });
    throw error;
  }
}

/** A new request: writes key.pem and request.json before sending, then the certificate or the pending record. */
export async function requestCertificate(options: OneShotOptions, deps: OneShotDeps): Promise<OneShotResult> {
  const files = outputFiles(options.outDir);
  // The folder is made only once the request is ready to go: a request refused before (no policy,
  // no such template, no subject) leaves no empty --out folder behind.
  if (await exists(files.cert)) {
    throw new UsageError(`${options.outDir} already holds a certificate (cert.pem); choose another --out folder (nothing was changed)`, 'OUT_DIR_IN_USE');
  }
  const previous = await readJsonFile<RequestRecord>(files.request).catch(() => null);
  if (previous?.status === 'pending') {
    throw new UsageError(
      `${options.outDir} holds pending request ${previous.requestId ?? '?'}: retrieve it with --request-id ${previous.requestId ?? '?'}, or choose another --out folder (nothing was changed)`,
      'OUT_DIR_PENDING',
    );
  }

  const credential: EndpointCredential = { kind: 'username', username: options.username, password: options.password };
  const view = await fetchView(options, deps, credential);
  const template = findTemplate(view, options.template, options.policyServerUrl);
  const endpoints = usernameEndpoints(view, template, 'enroll');
  const brokenCa = endpoints.length === 0 ? invalidCaError(view, template) : undefined;
  if (brokenCa) throw brokenCa;
  if (endpoints.length === 0) {
    throw new UsageError(`the policy lists no username/password enrollment service for template "${template.commonName}"`, 'NO_USERNAME_CES');
  }
  if (options.subject === undefined && options.dns.length === 0 && decodeSubjectNameFlags(template.subjectNameFlags).enrolleeSuppliesSubject) {
    throw new UsageError(
      `template "${template.commonName}" takes the subject from the request: give --subject (e.g. --subject CN=host.example.com), or --dns NAME, whose first name becomes CN=NAME (nothing was sent)`,
      'SUBJECT_REQUIRED',
    );
  }
  const built = await buildEnrollmentRequest(certificateConfig(options), template, {
    owner: 'request',
    template: template.commonName,
    option: '--key',
    suggest: formatKeySpec,
  });
  for (const warning of built.warnings) deps.logger.warn('request.warning', { message: warning });

  const caCertificatesPem = view.cas.filter((ca) => template.caIds.includes(ca.id) && ca.invalid === undefined).map((ca) => ca.certPem).join('');
  let record: RequestRecord = {
    schemaVersion: REQUEST_RECORD_VERSION,
    policyServer: options.policyServerUrl,
    template: template.commonName,
    username: options.username,
    status: 'submitting',
    requestId: null,
    endpoint: null,
    submittedAt: new Date(deps.now()).toISOString(),
    caCertificatesPem,
    requested: requestedNames(built.der, template.subjectNameFlags),
  };
  // The key first: whatever the answer, it is on disk before the CA can know the request. The
  // record (with the CES it goes to) is written durably before each attempt, by beforeSend below.
  await ensureDir(options.outDir, 0o755).catch((error: unknown) => {
    throw fileSystemError(error, { key: '--out', path: options.outDir }) ?? error;
  });
  await writeFileAtomic(files.key, built.keyPem, { mode: 0o600 });
  const { answer } = await recordDenial(
    submitToCes(cesCall(deps, credential), endpoints, { der: built.der, type: 'pkcs10', templateName: template.commonName }, async (endpoint) => {
      record = { ...record, endpoint: endpoint.url, submittedAt: new Date(deps.now()).toISOString() };
      await writeJsonAtomic(files.request, record, { mode: 0o644 });
    }),
    () => record,
    files.request,
  );
  return settle(answer, record, built.keyPem, options, files, deps.now());
}

/** DIR/request.json, or null when there is none (or it cannot be read). */
export async function readRequestRecord(outDir: string): Promise<RequestRecord | null> {
  return readJsonFile<RequestRecord>(outputFiles(outDir).request).catch(() => null);
}

/** `--request-id ID`: polls the CES that accepted the request (from request.json, else the template's CES). */
export async function retrieveCertificate(options: OneShotOptions & { requestId: string }, deps: OneShotDeps): Promise<OneShotResult> {
  const files = outputFiles(options.outDir);
  let keyPem: string;
  try {
    keyPem = await readFile(files.key, 'utf8');
  } catch (error) {
    throw new InputError(
      `cannot read ${files.key} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the certificate of request ${options.requestId} can only be installed with the key it was requested for`,
      'REQUEST_KEY_MISSING',
    );
  }
  const saved = await readJsonFile<RequestRecord>(files.request).catch(() => null);
  if (saved?.requestId != null && saved.requestId !== options.requestId) {
    throw new UsageError(`${files.request} is for request ${saved.requestId}, not ${options.requestId}; use the --out folder of request ${options.requestId}`, 'REQUEST_ID_MISMATCH');
  }
  const credential: EndpointCredential = { kind: 'username', username: options.username, password: options.password };
  const call = cesCall(deps, credential);
  let record: RequestRecord = saved ?? {
    schemaVersion: REQUEST_RECORD_VERSION,
    policyServer: options.policyServerUrl,
    template: options.template,
    status: 'pending',
    requestId: options.requestId,
    endpoint: null,
    submittedAt: new Date(deps.now()).toISOString(),
    caCertificatesPem: '',
  };
  record = { ...record, requestId: options.requestId };

  if (record.endpoint) {
    const endpoint = { uri: record.endpoint, url: record.endpoint, clientAuthentication: ClientAuthentication.USERNAME_PASSWORD, priority: null, renewalOnly: false, caId: '', tier: 2 };
    const answer = await recordDenial(queryCes(call, endpoint, options.requestId), () => record, files.request);
    return settle(answer, record, keyPem, options, files, deps.now());
  }

  // Not saved: ask each CA that issues the template; a CA that does not know the RequestID says so.
  const view = await fetchView(options, deps, credential);
  const template = findTemplate(view, options.template, options.policyServerUrl);
  record = { ...record, template: template.commonName, caCertificatesPem: view.cas.filter((ca) => template.caIds.includes(ca.id) && ca.invalid === undefined).map((ca) => ca.certPem).join('') };
  let lastError: unknown = new UsageError(`the policy lists no username/password enrollment service for template "${template.commonName}"`, 'NO_USERNAME_CES');
  for (const endpoint of usernameEndpoints(view, template, 'retrieve-any')) {
    try {
      const answer = await queryCes(call, endpoint, options.requestId);
      return await settle(answer, record, keyPem, options, files, deps.now());
    } catch (error) {
      lastError = error;
      if ((error instanceof EnrollmentDenied && error.hresult === NO_SUCH_REQUEST) || isFailoverError(error)) continue;
      if (error instanceof EnrollmentDenied) await writeJsonAtomic(files.request, { ...record, status: 'denied', endpoint: endpoint.url }, { mode: 0o644 });
      throw error;
    }
  }
  throw lastError;
}
