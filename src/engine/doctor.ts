// `autoenroll doctor`: checks every configured policy server, then every enrollment URI the policy
// publishes, step by step — DNS, TCP, TLS (chain, expiry, host name), the server clock, the
// credentials, and a round trip (GetPolicies at a CEP; a QueryTokenStatus for a RequestID that
// does not exist at a CES, which the CA answers with a fault without creating anything). Every
// problem gets a one-line cause and fix. Endpoints are checked in parallel; each has a deadline.
import { X509Certificate } from 'node:crypto';
import { KERBEROS_SKIP_REASON } from '../transport/enrollmentEndpoints.js';
import type { Config, PolicyServerConfig } from '../config/types.js';
import { CredentialError, errorToJson } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { PolicyResponse } from '../protocol/policyModel.js';
import { buildQueryTokenStatusRequest } from '../protocol/wstepRequest.js';
import { parseWstepResponse } from '../protocol/wstepResponse.js';
import { faultToError } from '../protocol/soapFault.js';
import type { Store } from '../store/storeTypes.js';
import { ClientAuthentication, sameUri } from '../transport/enrollmentEndpoints.js';
import type { ClientCertificate, HttpsClient } from '../transport/httpsClient.js';
import { probeEndpoint } from '../transport/probe.js';
import type { ProbeOptions, ProbeResult } from '../transport/probe.js';
import { classifyTransportError } from '../transport/transportErrors.js';
import type { SecretResolver } from './agentTypes.js';
import { contributionOf } from './cachedPolicy.js';
import type { CachedCa } from './cachedPolicy.js';
import { fetchPolicy } from './cepClient.js';
import { clockCheck, failed, finishEndpoint, overallExitCode, probeChecks, skipped } from './doctorChecks.js';
import type { DoctorCheck, DoctorReport, EndpointAuthKind, EndpointReport, GeneralFinding } from './doctorTypes.js';
import type { EndpointCredential } from './endpointCredential.js';
import { postWith, usernameTokenOf } from './endpointCredential.js';
import { kerberosDoctorChecks } from './doctorKerberos.js';
import { kerberosServers } from './kerberosCredential.js';
import { templateFindings } from './doctorTemplates.js';
import { readPolicyCache } from './policyCache.js';
import { clockSkewWarning } from './statusView.js';
import { tokenFindings } from './doctorToken.js';
import { openTokenFor } from '../pki/pkcs11Token.js';
import { isPkcs11Uri, parsePkcs11Uri } from '../pki/pkcs11Uri.js';

/** The RequestID the CES round trip asks about: never a real request, so nothing is created or changed. */
export const PROBE_REQUEST_ID = '0';

export interface DoctorDeps {
  config: Config;
  store: Store;
  http: HttpsClient;
  resolveSecret: SecretResolver;
  logger: Logger;
  now: () => number;
  /** Trust bundle PEM (trust.caFile), undefined = the system store. */
  caPem?: string;
  /** Findings made before the checks (e.g. an unreadable trust bundle). */
  general?: GeneralFinding[];
  probe?: (url: string, options: ProbeOptions) => Promise<ProbeResult>;
  /** HTTPS_PROXY / NO_PROXY for the probes. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

interface LearnedUri {
  uri: string;
  clientAuthentication: number;
  priority: number | null;
  renewalOnly: boolean;
  ca: string;
  learnedFrom: string[];
}

const AUTH_KIND: Record<number, EndpointAuthKind> = {
  [ClientAuthentication.ANONYMOUS]: 'anonymous',
  [ClientAuthentication.KERBEROS]: 'kerberos',
  [ClientAuthentication.USERNAME_PASSWORD]: 'username',
  [ClientAuthentication.CERTIFICATE]: 'certificate',
};

function caName(ca: CachedCa): string {
  try {
    return new X509Certificate(ca.certPem).subject.split('\n').reverse().join(', ');
  } catch {
    return ca.id;
  }
}

/** A managed certificate that is valid now, to present where certificate authentication is used. */
async function managedClientCertificate(config: Config, store: Store, nowMs: number): Promise<{ id: string; certificate: ClientCertificate } | null> {
  for (const certificate of config.certificates) {
    try {
      const meta = await store.certificate(certificate.id).currentMeta();
      if (!meta || Date.parse(meta.meta.notAfter) <= nowMs || Date.parse(meta.meta.notBefore) > nowMs) continue;
      const generation = await store.certificate(certificate.id).current();
      // A token key whose token did not open (reported by tokenFindings) cannot be presented.
      if (generation && isPkcs11Uri(generation.keyPem) && openTokenFor(parsePkcs11Uri(generation.keyPem)) === undefined) continue;
      if (generation) return { id: certificate.id, certificate: { certPem: generation.certPem, keyPem: generation.keyPem, chainPem: generation.chainPem } };
    } catch {
      // an unreadable generation is `status`'s business; another certificate may serve
    }
  }
  return null;
}

function authDetail(credential: EndpointCredential): string {
  switch (credential.kind) {
    case 'username':
      return `UsernameToken for ${credential.username} accepted`;
    case 'certificate':
      return 'client certificate accepted';
    case 'kerberos':
      return `Kerberos ticket of ${credential.identity.principal ?? 'the cached principal'} accepted, and the server proved its identity (mutual authentication)`;
    default:
      return 'anonymous';
  }
}

const isAuthFailure = (code: string): boolean =>
  code.startsWith('KERBEROS_') || code === 'TLS_CLIENT_CERT_REJECTED' || code === 'HTTP_UNAUTHORIZED' || code === 'HTTP_FORBIDDEN' || code === 'SERVER_REJECTED_CREDENTIALS' || code === 'PROXY_AUTH_REQUIRED';

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const { config } = deps;
  const general: GeneralFinding[] = [...(deps.general ?? [])];
  const probe = deps.probe ?? probeEndpoint;
  const probeOptions = (clientCertificate: ClientCertificate | undefined): ProbeOptions => ({
    ...(deps.caPem !== undefined ? { ca: deps.caPem } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
    ...(clientCertificate && config.transport.maxTlsVersionForClientCert ? { maxTlsVersion: config.transport.maxTlsVersionForClientCert } : {}),
    timeoutMs: config.transport.connectTimeoutMs,
    ...(deps.env ? { env: deps.env } : {}),
    ...(config.transport.proxy ? { proxy: config.transport.proxy } : {}),
    ...(config.transport.noProxy ? { noProxy: config.transport.noProxy.join(',') } : {}),
  });

  for (const certificate of config.certificates) {
    const meta = await deps.store.certificate(certificate.id).currentMeta().catch(() => null);
    const notBefore = meta ? Date.parse(meta.meta.notBefore) : Number.NaN;
    if (notBefore > deps.now()) {
      const warning = clockSkewWarning(notBefore, deps.now());
      general.push({ status: 'warn', code: warning.code, message: `certificate "${certificate.id}": ${warning.message.split('. Fix: ')[0]}`, fix: "synchronise this machine's clock (NTP: chrony, systemd-timesyncd, w32time)" });
    }
  }
  general.push(...(await tokenFindings(config, deps.store, deps.resolveSecret)));
  const managed = await managedClientCertificate(config, deps.store, deps.now());
  const needsCertificate = config.policyServers.some((s) => s.auth === 'certificate');
  if (needsCertificate && !managed) {
    general.push({ status: 'skip', code: 'NO_CLIENT_CERTIFICATE', message: 'no valid managed certificate yet: certificate-authenticated endpoints are checked without one (their credential check is skipped)' });
  }

  const usernameServer = config.policyServers.find((s) => s.auth === 'username' && s.username !== undefined && s.password !== undefined);
  let usernameSecret: Promise<EndpointCredential> | undefined;
  const usernameCredential = (server: PolicyServerConfig | undefined): Promise<EndpointCredential> => {
    if (!server || server.username === undefined || server.password === undefined) {
      return Promise.reject(new CredentialError('no policy server in the configuration has a username and password', 'NO_CREDENTIALS'));
    }
    const { username, password } = server;
    const resolve = async (): Promise<EndpointCredential> => ({ kind: 'username', username, password: await deps.resolveSecret(password, `password for ${username} (policy server ${server.url})`) });
    if (server === usernameServer) return (usernameSecret ??= resolve());
    return resolve();
  };
  const certificateCredential = (): EndpointCredential | null =>
    managed
      ? { kind: 'certificate', clientCertificate: managed.certificate, ...(config.transport.maxTlsVersionForClientCert ? { maxTlsVersion: config.transport.maxTlsVersionForClientCert } : {}) }
      : null;

  /** Auth + GetPolicies for one policy server whose TLS step passed. */
  async function policyRoundTrip(server: PolicyServerConfig): Promise<{ checks: DoctorCheck[]; response?: PolicyResponse }> {
    let credential: EndpointCredential | null;
    const kerberosChecks: DoctorCheck[] = [];
    let kerberosFound: EndpointCredential | undefined;
    if (server.auth === 'kerberos') {
      const kerberos = await kerberosDoctorChecks(server, server.url, deps.resolveSecret, deps.now());
      if (!kerberos.credential) return { checks: [...kerberos.checks, skipped('auth', 'no Kerberos ticket'), skipped('policy', 'no credentials')] };
      kerberosChecks.push(...kerberos.checks);
      kerberosFound = kerberos.credential;
    }
    try {
      credential = server.auth === 'username' ? await usernameCredential(server) : server.auth === 'kerberos' ? (kerberosFound ?? null) : certificateCredential();
    } catch (error) {
      return { checks: [failed('auth', error), skipped('policy', 'no credentials')] };
    }
    if (credential === null) return { checks: [skipped('auth', 'no valid managed certificate to present yet (enroll one first)'), skipped('policy', 'no credentials yet')] };
    try {
      const response = await fetchPolicy(deps.http, server.url, credential, { now: new Date(deps.now()), ...(deps.signal ? { signal: deps.signal } : {}) });
      const uris = response.cas.reduce((n, ca) => n + ca.enrollmentUris.length, 0);
      const name = response.policyFriendlyName ? ` "${response.policyFriendlyName}"` : '';
      return {
        response,
        checks: [
          ...kerberosChecks,
          { name: 'auth', status: 'ok', detail: authDetail(credential) },
          { name: 'policy', status: 'ok', detail: `GetPolicies: policy ${response.policyId}${name}, ${response.templates.length} templates, ${response.cas.length} CAs, ${uris} enrollment URIs` },
        ],
      };
    } catch (error) {
      const classified = classifyTransportError(error, { url: server.url, clientCertificate: credential.kind === 'certificate', duringConnect: false });
      if (isAuthFailure(classified.code)) return { checks: [...kerberosChecks, failed('auth', classified), skipped('policy', 'credentials refused')] };
      return { checks: [...kerberosChecks, skipped('auth', 'unknown: the policy request failed first'), failed('policy', classified)] };
    }
  }

  const policyResults = await Promise.all(
    config.policyServers.map(async (server) => {
      const clientCertificate = server.auth === 'certificate' ? managed?.certificate : undefined;
      const probed = await probe(server.url, probeOptions(clientCertificate));
      const checks = probeChecks(probed, deps.now());
      let response: PolicyResponse | undefined;
      if (probed.tls.ok) {
        checks.push(clockCheck(probed.httpDate, deps.now()));
        const trip = await policyRoundTrip(server);
        checks.push(...trip.checks);
        response = trip.response;
      } else {
        // Ticket, SPN and the KDC's clock do not need the server: say what they are even now.
        if (server.auth === 'kerberos') checks.push(...(await kerberosDoctorChecks(server, server.url, deps.resolveSecret, deps.now())).checks);
        checks.push(skipped('clock', 'no TLS connection'), skipped('auth', 'no TLS connection'), skipped('policy', 'no TLS connection'));
      }
      const report = finishEndpoint({ url: server.url, role: 'policy', auth: server.auth, priority: server.priority, ...(probed.via ? { via: probed.via } : {}), checks });
      return { server, report, response };
    }),
  );

  general.push(...templateFindings(config, policyResults.flatMap((r) => (r.response ? [r.response] : []))));

  const learned = await learnEnrollmentUris(deps, policyResults);
  if (learned.length === 0) {
    general.push({
      status: 'warn',
      code: 'NO_ENROLLMENT_URIS',
      message: 'no enrollment (CES) URI is known: no policy server answered and there is no cached policy',
      fix: 'fix the policy servers first; their policy lists the enrollment URIs',
    });
  }

  async function enrollmentRoundTrip(uri: LearnedUri): Promise<DoctorCheck[]> {
    const kind = AUTH_KIND[uri.clientAuthentication] ?? 'unknown';
    if (kind === 'unknown') return [skipped('auth', `${kind} authentication is not used by autoenroll`), skipped('enrollment', 'not used')];
    let credential: EndpointCredential | null;
    const kerberosChecks: DoctorCheck[] = [];
    if (kind === 'kerberos') {
      const kerberos = await kerberosDoctorChecks(kerberosServers(config)[0], uri.uri, deps.resolveSecret, deps.now());
      kerberosChecks.push(...kerberos.checks);
      if (!kerberos.credential) return [...kerberosChecks, skipped('auth', 'no Kerberos ticket'), skipped('enrollment', 'no credentials')];
      credential = kerberos.credential;
    } else if (kind === 'username') {
      try {
        credential = await usernameCredential(usernameServer);
      } catch (error) {
        return [failed('auth', error), skipped('enrollment', 'no credentials')];
      }
    } else if (kind === 'certificate') {
      credential = certificateCredential();
      if (credential === null) return [skipped('auth', 'no valid managed certificate to present yet'), skipped('enrollment', 'no credentials yet')];
    } else {
      credential = { kind: 'none' };
    }
    const body = buildQueryTokenStatusRequest({ to: uri.uri, requestId: PROBE_REQUEST_ID, usernameToken: usernameTokenOf(credential), now: new Date(deps.now()) });
    const authOk: DoctorCheck = { name: 'auth', status: 'ok', detail: authDetail(credential) };
    try {
      const response = await postWith(deps.http, credential, uri.uri, body, deps.signal);
      const answer = parseWstepResponse(response.body, response.status);
      if (answer.kind !== 'fault') return [...kerberosChecks, authOk, { name: 'enrollment', status: 'ok', detail: `the CES answered a status query (${answer.kind})` }];
      const error = faultToError(answer.fault, uri.uri);
      if (answer.fault.category === 'security') return [...kerberosChecks, failed('auth', error), skipped('enrollment', 'credentials refused')];
      if (answer.fault.category === 'addressing' || answer.fault.category === 'internal') return [...kerberosChecks, authOk, failed('enrollment', error)];
      const hresult = answer.fault.detail?.hresultHex ? ` (${answer.fault.detail.hresultName ?? answer.fault.detail.hresultHex})` : '';
      return [...kerberosChecks, authOk, { name: 'enrollment', status: 'ok', detail: `the CA answered a status query for RequestID ${PROBE_REQUEST_ID} with a fault${hresult}, as expected for a request that does not exist` }];
    } catch (error) {
      const classified = classifyTransportError(error, { url: uri.uri, clientCertificate: credential.kind === 'certificate', duringConnect: false });
      if (isAuthFailure(classified.code)) return [...kerberosChecks, failed('auth', classified), skipped('enrollment', 'credentials refused')];
      return [...kerberosChecks, skipped('auth', 'unknown: the request failed first'), failed('enrollment', classified)];
    }
  }

  const enrollmentReports = await Promise.all(
    learned.map(async (uri): Promise<EndpointReport> => {
      const kind = AUTH_KIND[uri.clientAuthentication] ?? 'unknown';
      const clientCertificate = kind === 'certificate' ? managed?.certificate : undefined;
      if (kind === 'kerberos' && kerberosServers(config).length === 0) {
        // Without auth: kerberos never probed (a failure there would be no failure of ours): listed with the reason.
        const checks = (['dns', 'tcp', 'tls', 'clock', 'auth', 'enrollment'] as const).map((name) => skipped(name, KERBEROS_SKIP_REASON));
        return finishEndpoint({ url: uri.uri, role: 'enrollment', auth: kind, priority: uri.priority, renewalOnly: uri.renewalOnly, ca: uri.ca, learnedFrom: uri.learnedFrom, checks });
      }
      const probed = await probe(uri.uri, probeOptions(clientCertificate));
      const checks = probeChecks(probed, deps.now());
      if (probed.tls.ok) checks.push(clockCheck(probed.httpDate, deps.now()), ...(await enrollmentRoundTrip(uri)));
      else checks.push(skipped('clock', 'no TLS connection'), skipped('auth', 'no TLS connection'), skipped('enrollment', 'no TLS connection'));
      return finishEndpoint({
        url: uri.uri,
        role: 'enrollment',
        auth: kind,
        priority: uri.priority,
        renewalOnly: uri.renewalOnly,
        ca: uri.ca,
        learnedFrom: uri.learnedFrom,
        ...(probed.via ? { via: probed.via } : {}),
        checks,
      });
    }),
  );

  const endpoints = [...policyResults.map((r) => r.report), ...enrollmentReports];
  const failingCodes = endpoints.flatMap((e) => e.checks.filter((c) => c.status === 'fail').map((c) => c.exitCode));
  const exitCode = overallExitCode([...failingCodes, ...general.filter((g) => g.status === 'fail').map((g) => g.exitCode)]);
  return {
    checkedAt: new Date(deps.now()).toISOString(),
    configFile: config.file,
    ok: exitCode === 0,
    exitCode,
    general,
    endpoints,
    summary: {
      endpoints: endpoints.length,
      healthy: endpoints.filter((e) => e.healthy).length,
      failing: endpoints.filter((e) => !e.healthy).length,
      warnings: endpoints.reduce((n, e) => n + e.checks.filter((c) => c.status === 'warn').length, 0) + general.filter((g) => g.status === 'warn').length,
    },
  };
}

/**
 * Enrollment URIs from the live policies; for a policy server that did not answer, from its
 * cached contribution (so a CES can be checked while its CEP is down).
 */
async function learnEnrollmentUris(
  deps: DoctorDeps,
  results: readonly { server: PolicyServerConfig; response: PolicyResponse | undefined }[],
): Promise<LearnedUri[]> {
  const learned: LearnedUri[] = [];
  const add = (cas: readonly CachedCa[], from: string): void => {
    for (const ca of cas) {
      for (const u of ca.uris) {
        const known = learned.find((l) => sameUri(l.uri, u.uri));
        if (known) {
          if (!known.learnedFrom.includes(from)) known.learnedFrom.push(from);
          continue;
        }
        learned.push({ uri: u.uri, clientAuthentication: u.clientAuthentication, priority: u.priority, renewalOnly: u.renewalOnly, ca: caName(ca), learnedFrom: [from] });
      }
    }
  };
  for (const { server, response } of results) {
    if (response) add(contributionOf(response, { url: server.url, auth: server.auth }, deps.now()).cas, server.url);
  }
  const silent = results.filter((r) => !r.response).map((r) => r.server.url);
  if (silent.length > 0) {
    try {
      for (const file of await readPolicyCache(deps.config.stateDir, deps.logger)) {
        for (const source of file.sources) if (silent.includes(source.url)) add(source.cas, `${source.url} (cached policy)`);
      }
    } catch (error) {
      deps.logger.warn('doctor.policy_cache_unreadable', { error: errorToJson(error) });
    }
  }
  return learned;
}
