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
  | { kind: 'issueNotBeforeAhead' };

/** The faults that replace the answer before the request is read; the others change what is answered. */
export type TransportFault = Extract<LabFault, { kind: 'refuse' | 'hang' | 'http500' | 'malformed' }>;

export function isTransportFault(fault: LabFault | undefined): fault is TransportFault {
  return fault !== undefined && (fault.kind === 'refuse' || fault.kind === 'hang' || fault.kind === 'http500' || fault.kind === 'malformed');
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
] as const;

/** Reads "KIND" or "slow:MS" (the fault part of `--fault`); undefined when it names no fault. */
export function parseFault(text: string): LabFault | undefined {
  const slow = /^slow:(\d+)$/.exec(text);
  if (slow) return { kind: 'slow', delayMs: Number(slow[1]) };
  return (NAMED_FAULTS as readonly string[]).includes(text) ? ({ kind: text } as LabFault) : undefined;
}

export const HTTP_500_BODY =
  '<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head><body><h2>500 - Internal server error.</h2><h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3></body></html>';

export const MALFORMED_BODY =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep</a:Action></s:Header><s:Body><RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse><TokenType>';

export function describeFault(fault: LabFault): string {
  return fault.kind === 'slow' ? `slow:${fault.delayMs}ms` : fault.kind;
}
