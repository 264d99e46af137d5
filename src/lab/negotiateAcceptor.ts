// The lab's Windows integrated authentication (HTTP Negotiate, as IIS does it): a request without
// credentials gets 401 with "WWW-Authenticate: Negotiate" and "WWW-Authenticate: NTLM" as two
// headers; a Kerberos token is accepted with the keytab of the lab's HTTP service principal, the
// answer carries the server's token (mutual authentication) and Persistent-Auth: true, and the
// connection stays authenticated for its next requests. With requireChannelBinding the lab acts
// as IIS with Extended Protection "Required" does towards a client that sends no channel binding
// token (as this agent's GSSAPI binding cannot): every token is refused. With impostor it answers as a
// server without the service key would (no proof of its identity).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { acceptToken } from '../native/gss.js';

export interface LabKerberosOptions {
  /** Keytab with the key(s) of HTTP/<lab host>. */
  keytab: string;
  /** Refuse tokens without channel bindings (IIS Extended Protection: Required). */
  requireChannelBinding?: boolean;
  /**
   * Act as a server that does not hold the service key: take any token without checking it and
   * answer without a final token of its own, as an impostor would (the client must refuse this).
   */
  impostor?: boolean;
}

export type NegotiateOutcome = { kind: 'authenticated'; principal: string } | { kind: 'refused'; outcome: string };

export class NegotiateAcceptor {
  private readonly connections = new WeakMap<Socket, string>();
  constructor(private readonly options: LabKerberosOptions) {}

  /** Who sent this request; or, when refused, the 401 has been sent. */
  async authenticate(req: IncomingMessage, res: ServerResponse): Promise<NegotiateOutcome> {
    const header = req.headers.authorization;
    const token = header !== undefined ? /^Negotiate\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header)?.[1] : undefined;
    if (token === undefined) {
      const known = this.connections.get(req.socket);
      if (known !== undefined) return { kind: 'authenticated', principal: known };
      challenge(res);
      return { kind: 'refused', outcome: header === undefined ? 'http:401' : 'http:401:not-negotiate' };
    }
    if (this.options.impostor) return { kind: 'authenticated', principal: 'unverified' };
    let accepted: Awaited<ReturnType<typeof acceptToken>>;
    try {
      accepted = await acceptToken(this.options.keytab, token);
    } catch (error) {
      challenge(res);
      return { kind: 'refused', outcome: `http:401:kerberos:${(error as Error).message.split('\n')[0] ?? ''}` };
    }
    if (this.options.requireChannelBinding) {
      challenge(res);
      return { kind: 'refused', outcome: 'http:401:kerberos:no-channel-binding' };
    }
    this.connections.set(req.socket, accepted.principal);
    if (accepted.response) res.setHeader('WWW-Authenticate', `Negotiate ${accepted.response}`);
    res.setHeader('Persistent-Auth', 'true');
    return { kind: 'authenticated', principal: accepted.principal };
  }
}

function challenge(res: ServerResponse): void {
  res.setHeader('WWW-Authenticate', ['Negotiate', 'NTLM']);
  const body = '401 - Unauthorized: Access is denied due to invalid credentials.';
  res.writeHead(401, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
