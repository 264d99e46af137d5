// Faults a test or the demo can switch on per endpoint, to exercise the agent's failover and
// timeouts against real sockets.
export type LabFault =
  /** Connections are refused: an endpoint with its own listener closes it; on the shared port the socket is reset. */
  | { kind: 'refuse' }
  /** The request is read and never answered. */
  | { kind: 'hang' }
  /** Answered normally after a delay. */
  | { kind: 'slow'; delayMs: number }
  /** HTTP 500 with an HTML body and no SOAP envelope (IIS error page). */
  | { kind: 'http500' }
  /** HTTP 200 with a truncated, unparseable SOAP body. */
  | { kind: 'malformed' }
  /** HTTP 404 (IIS "file or directory not found"): the URL's path is wrong. */
  | { kind: 'notFound' }
  /** The request is read after the TLS handshake, then the connection is closed without an answer. */
  | { kind: 'resetAfterHandshake' }
  /**
   * IIS's uploadReadAheadSize: on a client-certificate endpoint, a body larger than `limitBytes`
   * (default 49152, IIS's 48 KB) cannot be buffered for the certificate renegotiation: HTTP 413.
   */
  | { kind: 'uploadReadAhead'; limitBytes?: number }
  /** IIS cannot ask for a client certificate on TLS 1.3: a certificate endpoint reached over TLS 1.3 answers 500 (or resets). */
  | { kind: 'tls13ClientCert'; mode?: 'http500' | 'reset' }
  /** On a CEP: the policy lists one Kerberos enrollment URI per CA instead of the CA's CES URIs. */
  | { kind: 'kerberosOnly' }
  /** Accepts TCP connections and never answers (no TLS handshake on an endpoint with its own port). */
  | { kind: 'blackhole' }
  /** On a CES: the request is processed (a certificate may be issued) and the answer is sent after `delayMs`. */
  | { kind: 'slowSubmit'; delayMs: number }
  /** CES: the certificate issued is already expired (validity ends an hour before the request). */
  | { kind: 'issueExpired' }
  /** CES: the certificate issued becomes valid only in a day. */
  | { kind: 'issueNotYetValid' }
  /** CES: the certificate issued names another subject than the one requested. */
  | { kind: 'issueWrongSubject' }
  /** CES: the certificate issued carries other subject alternative names than the ones requested. */
  | { kind: 'issueWrongSan' }
  /** A SOAP fault whose reason text is the request body (with its password) sent back. */
  | { kind: 'reflectRequest' }
  /** The normal answer under another wsa:Action. */
  | { kind: 'wrongAction' }
  /** CEP: the policy's CA certificates are not readable as X.509. */
  | { kind: 'brokenCaCertificate' }
  /** CES: the certificate issued becomes valid two minutes from now (a CA clock slightly ahead). */
  | { kind: 'issueNotBeforeAhead' }
  /** HTTP 413 with an HTML body, as IIS answers a body over uploadReadAheadSize during a client-certificate renegotiation. */
  | { kind: 'http413' };

/** IIS's default uploadReadAheadSize. */
export const UPLOAD_READ_AHEAD_DEFAULT_BYTES = 49_152;

/** The faults that replace the answer before the request is read; the others change what is answered. */
export type TransportFault = Extract<LabFault, { kind: 'refuse' | 'hang' | 'http500' | 'malformed' | 'notFound' | 'resetAfterHandshake' | 'blackhole' | 'http413' }>;

const TRANSPORT_FAULTS: readonly string[] = ['refuse', 'hang', 'http500', 'malformed', 'notFound', 'resetAfterHandshake', 'blackhole', 'http413'];

export function isTransportFault(fault: LabFault | undefined): fault is TransportFault {
  return fault !== undefined && TRANSPORT_FAULTS.includes(fault.kind);
}

/** The fault kinds `autoenroll lab --fault ENDPOINT=KIND` accepts (slow takes ENDPOINT=slow:MS). */
export const NAMED_FAULTS = [
  'refuse',
  'hang',
  'http500',
  'malformed',
  'issueExpired',
  'issueNotYetValid',
  'issueWrongSubject',
  'issueWrongSan',
  'reflectRequest',
  'wrongAction',
  'brokenCaCertificate',
  'issueNotBeforeAhead',
  'notFound',
  'resetAfterHandshake',
  'uploadReadAhead',
  'tls13ClientCert',
  'kerberosOnly',
  'blackhole',
  'http413',
] as const;

/** Reads "KIND", "slow:MS" or "slowSubmit:MS" (the fault part of `--fault`); undefined when it names no fault. */
export function parseFault(text: string): LabFault | undefined {
  const slow = /^slow:(\d+)$/.exec(text);
  if (slow) return { kind: 'slow', delayMs: Number(slow[1]) };
  const slowSubmit = /^slowSubmit:(\d+)$/.exec(text);
  if (slowSubmit) return { kind: 'slowSubmit', delayMs: Number(slowSubmit[1]) };
  return (NAMED_FAULTS as readonly string[]).includes(text) ? ({ kind: text } as LabFault) : undefined;
}

export const HTTP_500_BODY =
  '<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head><body><h2>500 - Internal server error.</h2><h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3></body></html>';

export const MALFORMED_BODY =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep</a:Action></s:Header><s:Body><RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse><TokenType>';

export function describeFault(fault: LabFault): string {
  if (fault.kind === 'slow' || fault.kind === 'slowSubmit') return `${fault.kind}:${fault.delayMs}ms`;
  return fault.kind;
}

/** Faults that let the request through to the SOAP layer (they change how it is answered, not whether). */
export function passesThrough(fault: LabFault | undefined): boolean {
  return !isTransportFault(fault);
}
