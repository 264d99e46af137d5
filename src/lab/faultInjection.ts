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
  /** HTTP 413 with an HTML body, as IIS answers a body over uploadReadAheadSize during a client-certificate renegotiation. */
  | { kind: 'http413' };

export const HTTP_500_BODY =
  '<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head><body><h2>500 - Internal server error.</h2><h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3></body></html>';

export const MALFORMED_BODY =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep</a:Action></s:Header><s:Body><RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse><TokenType>';

export function describeFault(fault: LabFault): string {
  return fault.kind === 'slow' ? `slow:${fault.delayMs}ms` : fault.kind;
}
