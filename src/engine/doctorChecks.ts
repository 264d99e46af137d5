// Pure judgements of `autoenroll doctor`: a transport probe, a clock reading and an error each
// become checks with a one-line cause and a one-line fix. No I/O here (doctor.ts does that).
import { humanInstant } from '../log/instant.js';
import { exitCodeOf, isAutoenrollError } from '../errors.js';
import type { ProbeResult } from '../transport/probe.js';
import type { CheckName, DoctorCheck, EndpointReport } from './doctorTypes.js';

/** Clock skew above which a warning is shown, and above which the check fails (WS-Security and Kerberos tolerate 5 minutes). */
export const SKEW_WARN_MS = 60_000;
export const SKEW_FAIL_MS = 300_000;
/** A server certificate that expires sooner than this is a warning. */
export const SERVER_CERT_WARN_MS = 30 * 86_400_000;

const FIXES: Record<string, string> = {
  DNS_NOT_FOUND: "check the host name in the URL and this machine's DNS resolver / search domain",
  DNS_FAILED: "check this machine's DNS servers (they did not answer)",
  CONNECTION_REFUSED: 'start the CEP/CES web site (IIS) or correct the port; a firewall may also reject the port',
  CONNECTION_RESET: 'check the IIS binding and any TLS-inspecting firewall or load balancer in front of the server',
  NETWORK_UNREACHABLE: 'check routing and VPN between this machine and the server',
  CONNECT_TIMEOUT: 'check that the host is up and that a firewall lets this machine reach the port',
  RESPONSE_TIMEOUT: 'check the CEP/CES application pool on the server (it accepted the connection but did not answer)',
  HTTP_5XX: 'check the CEP/CES application pool and the server event log (the web service is failing)',
  HTTP_NOT_FOUND: 'correct the URL path (compare with the URL the policy or IIS publishes)',
  HTTP_REDIRECT: 'configure the final URL (redirects are not followed)',
  HTTP_UNAUTHORIZED: "check the username and password, and the endpoint's authentication type",
  HTTP_FORBIDDEN: 'check that the account is allowed to use this endpoint',
  TLS_HANDSHAKE_FAILED: 'check the TLS versions and ciphers the server allows (TLS 1.2 or 1.3 is needed)',
  TLS_CLIENT_CERT_REJECTED:
    'check that the managed certificate is valid and issued by a CA the server trusts for client authentication; IIS asks for it by TLS 1.2 renegotiation, which TLS 1.3 lacks: keep transport.maxTlsVersionForClientCert at TLSv1.2 unless the binding negotiates client certificates up front (clientcertnegotiation=enable)',
  HTTP_REQUEST_TOO_LARGE: 'raise uploadReadAheadSize on the CES/CEP site (IIS buffers the body during the TLS 1.2 renegotiation for the client certificate), or enable clientcertnegotiation on the binding and set transport.maxTlsVersionForClientCert: TLSv1.3',
  SERVER_REJECTED_CREDENTIALS: 'check the username and password (and that the account may enroll); check the clock if messages expired',
  PROXY_UNREACHABLE: 'check transport.proxy / HTTPS_PROXY, or add the host to NO_PROXY',
  PROXY_TUNNEL_REFUSED: 'allow CONNECT to this host on the proxy, or add the host to NO_PROXY',
  CLOCK_SKEW: "synchronise this machine's clock (NTP: chrony, systemd-timesyncd, w32time)",
  PROTOCOL: 'check that the URL is a CEP/CES endpoint (the answer is not a valid SOAP message of that service)',
};

/** Splits "…. Fix: do this." messages of the transport layer; otherwise the fix comes from the code. */
export function causeAndFix(error: unknown): { code: string; cause: string; fix: string; exitCode: 3 | 4 } {
  const code = isAutoenrollError(error) ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf(' Fix: ');
  const cause = (at >= 0 ? message.slice(0, at) : message).trim();
  const fixText = at >= 0 ? message.slice(at + ' Fix: '.length).trim().replace(/\.$/, '') : undefined;
  const fix = fixText ?? FIXES[code] ?? (code.startsWith('SOAP') || code.startsWith('XML') || code.startsWith('WSTEP') || code.startsWith('XCEP') ? FIXES.PROTOCOL : undefined) ?? 'see the cause';
  return { code, cause, fix, exitCode: exitCodeOf(error) === 3 ? 3 : 4 };
}

export function failed(name: CheckName, error: unknown, detailPrefix = ''): DoctorCheck {
  const { code, cause, fix, exitCode } = causeAndFix(error);
  return { name, status: 'fail', detail: `${detailPrefix}${cause}`, code, exitCode, cause, fix };
}

export const skipped = (name: CheckName, why: string): DoctorCheck => ({ name, status: 'skip', detail: why });

const days = (ms: number): string => `${Math.floor(ms / 86_400_000)} days`;

/** DNS, TCP and TLS checks from one probe (later steps are skipped after a failure). */
export function probeChecks(probe: ProbeResult, nowMs: number): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  if (probe.dns.ok) checks.push({ name: 'dns', status: 'ok', detail: `${probe.dns.host} → ${(probe.dns.addresses ?? []).join(', ')}` });
  else checks.push(failed('dns', probe.dns.error));
  if (!probe.dns.ok) return [...checks, skipped('tcp', 'no address'), skipped('tls', 'no connection')];

  if (probe.tcp.ok) checks.push({ name: 'tcp', status: 'ok', detail: `connected to ${probe.tcp.address}${probe.tcp.ms !== undefined ? ` in ${probe.tcp.ms.toFixed(1)} ms` : ''}` });
  else checks.push(failed('tcp', probe.tcp.error));
  if (!probe.tcp.ok) return [...checks, skipped('tls', 'no connection')];

  const peer = probe.tls.peerCertificate;
  if (!probe.tls.ok) {
    checks.push(failed('tls', probe.tls.error));
    return checks;
  }
  const certificate = peer ? `"${peer.subject}" issued by "${peer.issuer}", valid until ${humanInstant(peer.notAfter)}` : 'server certificate';
  const detail = `${probe.tls.protocol ?? 'TLS'}, chain and host name verified: ${certificate}${probe.tls.clientCertificateSent ? '; client certificate sent' : ''}`;
  const remaining = peer ? peer.notAfter.getTime() - nowMs : Number.POSITIVE_INFINITY;
  if (remaining < SERVER_CERT_WARN_MS) {
    checks.push({
      name: 'tls',
      status: 'warn',
      detail,
      code: 'TLS_CERT_EXPIRES_SOON',
      cause: `the server certificate expires in ${days(remaining)}`,
      fix: "renew the server's TLS certificate before it expires",
    });
  } else {
    checks.push({ name: 'tls', status: 'ok', detail });
  }
  return checks;
}

/** Clock skew from the server's HTTP Date header (1-second resolution), measured around `nowMs`. */
export function clockCheck(serverDate: Date | undefined, nowMs: number): DoctorCheck {
  if (serverDate === undefined) return skipped('clock', 'the server sent no Date header');
  const skewMs = nowMs - serverDate.getTime();
  const text = `${skewMs >= 0 ? 'this machine is ahead' : 'this machine is behind'} by ${(Math.abs(skewMs) / 1000).toFixed(0)} s (server Date ${humanInstant(serverDate)})`;
  if (Math.abs(skewMs) <= SKEW_WARN_MS) return { name: 'clock', status: 'ok', detail: `skew ${(skewMs / 1000).toFixed(0)} s` };
  const fail = Math.abs(skewMs) > SKEW_FAIL_MS;
  return {
    name: 'clock',
    status: fail ? 'fail' : 'warn',
    detail: text,
    code: 'CLOCK_SKEW',
    cause: `${text}${fail ? '; messages and certificates outside a 5-minute tolerance are refused' : ''}`,
    fix: FIXES.CLOCK_SKEW as string,
    ...(fail ? { exitCode: 4 as const } : {}),
  };
}

/** Fills in `healthy` and `problem` from the checks. */
export function finishEndpoint(report: Omit<EndpointReport, 'healthy' | 'problem'>): EndpointReport {
  const failure = report.checks.find((c) => c.status === 'fail');
  return {
    ...report,
    healthy: failure === undefined,
    problem: failure ? { check: failure.name, code: failure.code ?? 'FAILED', cause: failure.cause ?? failure.detail, fix: failure.fix ?? 'see the cause' } : null,
  };
}

/** cli.md: 4 (trust/credential/config) wins over 3 (unreachable); 0 when nothing failed. */
export function overallExitCode(codes: readonly (number | undefined)[]): 0 | 3 | 4 {
  if (codes.includes(4)) return 4;
  if (codes.includes(3)) return 3;
  return 0;
}
