// The answers of the faults that change what a lab endpoint says rather than whether it answers:
// the request reflected back in a SOAP fault (reflectRequest) and the normal answer under another
// wsa:Action (wrongAction).
import { renderReflectedFault } from './soapFaults.js';

export const WRONG_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/NotTheExpectedAction';

export function reflectedFault(body: Buffer): string {
  return renderReflectedFault(body.toString('utf8'));
}

/** The answer with its wsa:Action replaced (an empty answer stays empty). */
export function withWrongAction(answer: string): string {
  return answer.replace(/(<(?:[A-Za-z0-9_]+:)?Action\b[^>]*>)[^<]*(<\/)/, `$1${WRONG_ACTION}$2`);
}
