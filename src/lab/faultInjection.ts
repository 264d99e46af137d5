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
  | { kind: 'slowSubmit'; delayMs: number };

/** IIS's default uploadReadAheadSize. */
export const UPLOAD_READ_AHEAD_DEFAULT_BYTES = 49_152;

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
  return fault === undefined || ['slow', 'uploadReadAhead', 'tls13ClientCert', 'kerberosOnly', 'slowSubmit'].includes(fault.kind);
}
