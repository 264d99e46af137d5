// The answers of the faults that change what a lab endpoint says rather than whether it answers:
// the request reflected back in a SOAP fault (reflectRequest) and the normal answer under another
// wsa:Action (wrongAction).
import { renderReflectedFault } from './soapFaults.js';

export const WRONG_ACTION = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/NotTheExpectedAction';

/** The request quoted from its UsernameToken on (where a short quote would carry the password), else whole. */
export function reflectedFault(body: Buffer): string {
  const text = body.toString('utf8');
  const at = text.search(/<[^>]*UsernameToken\b/);
  return renderReflectedFault(at >= 0 ? text.slice(at) : text);
}

/** The answer with its wsa:Action replaced (an empty answer stays empty). */
export function withWrongAction(answer: string): string {
  return answer.replace(/(<(?:[A-Za-z0-9_]+:)?Action\b[^>]*>)[^<]*(<\/)/, `$1${WRONG_ACTION}$2`);
}
