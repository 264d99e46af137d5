// The lab's HTTPS listeners. Every listener asks for a client certificate without letting TLS
// reject it (server side only: requestCert + rejectUnauthorized:false) — the certificate
// endpoints check it themselves so that they can answer like IIS/CES. Fault injection happens
// here, before the SOAP layer.
import { constants } from 'node:crypto';
import { createServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inspectClientCertificate } from './clientCertificate.js';
import type { ClientCertificate } from './clientCertificate.js';
import { HTTP_500_BODY, MALFORMED_BODY, UPLOAD_READ_AHEAD_DEFAULT_BYTES, describeFault, isTransportFault } from './faultInjection.js';
import { reflectedFault, withWrongAction } from './faultAnswers.js';
import type { LabFault } from './faultInjection.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
import type { NegotiateAcceptor } from './negotiateAcceptor.js';
import { handleSoap } from './soapEndpoint.js';

const MAX_BODY_BYTES = 1024 * 1024;
const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export interface Listener {
  port: number;
  /** Endpoints served here, by lower-case path. */
  routes: Map<string, LabEndpoint>;
  /** true while the listener is closed by a 'refuse' fault. */
  refusing: boolean;
  server: Server;
  sockets: Set<Socket>;
  /** While a 'blackhole' fault holds the port: a plain TCP server that accepts and never answers. */
  sink?: TcpServer;
}

export class LabServer {
  readonly listeners: Listener[] = [];
  readonly faults = new Map<string, LabFault>();
  private readonly hanging = new Set<ServerResponse>();
  core: LabCore | undefined;
  /** Authenticates the Kerberos endpoints (absent: the lab has none). */
  negotiate: NegotiateAcceptor | undefined;

  constructor(
    private readonly tls: { certPem: string; keyPem: string },
    private readonly host: string,
    /** IIS-like: no certificate asked for in the handshake; a certificate endpoint asks by TLS 1.2 renegotiation. */
    private readonly renegotiate = false,
  ) {}

  async listen(port: number): Promise<Listener> {
    const server = createServer(
      this.renegotiate
        ? // No resumption on renegotiation: the full handshake carries the CertificateRequest.
          { cert: this.tls.certPem, key: this.tls.keyPem, requestCert: false, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION }
        : { cert: this.tls.certPem, key: this.tls.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (req, res) => void this.handle(listener, req, res),
    );
    const listener: Listener = { port, routes: new Map(), refusing: false, server, sockets: new Set() };
    server.on('secureConnection', (socket: TLSSocket) => this.track(listener, socket));
    server.on('connection', (socket: Socket) => this.track(listener, socket));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    listener.port = typeof address === 'object' && address ? address.port : port;
    this.listeners.push(listener);
    return listener;
  }

  /** Applies or clears a fault; 'refuse' on an endpoint with its own listener really closes the port. */
  async setFault(endpoint: LabEndpoint, fault: LabFault | null): Promise<void> {
    if (fault) this.faults.set(endpoint.name, fault);
    else this.faults.delete(endpoint.name);
    const listener = this.listenerOf(endpoint);
    if (!listener || listener.routes.size !== 1) return;
    const closing = fault?.kind === 'refuse' || fault?.kind === 'blackhole';
    if (listener.sink && fault?.kind !== 'blackhole') await this.closeSink(listener);
    if (closing && !listener.refusing) {
      listener.refusing = true;
      await this.closeListener(listener);
    } else if (!closing && listener.refusing) {
      listener.refusing = false;
      await this.reopen(listener);
    }
    if (fault?.kind === 'blackhole' && !listener.sink) await this.openSink(listener);
  }

  private async openSink(listener: Listener): Promise<void> {
    const sink = createTcpServer((socket) => {
      // Accepted, never read, never answered.
      listener.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => listener.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      sink.listen(listener.port, this.host, () => resolve());
    });
    listener.sink = sink;
  }

  private async closeSink(listener: Listener): Promise<void> {
    const sink = listener.sink;
    if (!sink) return;
    delete listener.sink;
    const closed = new Promise<void>((resolve) => sink.close(() => resolve()));
    for (const socket of listener.sockets) socket.destroy();
    listener.sockets.clear();
    await closed;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await Promise.all(this.listeners.map((l) => this.closeSink(l)));
    await Promise.all(this.listeners.filter((l) => !l.refusing).map((l) => this.closeListener(l)));
  }

  private listenerOf(endpoint: LabEndpoint): Listener | undefined {
    return this.listeners.find((l) => [...l.routes.values()].includes(endpoint));
  }

  private track(listener: Listener, socket: Socket): void {
    listener.sockets.add(socket);
    socket.once('close', () => listener.sockets.delete(socket));
  }

  private async closeListener(listener: Listener): Promise<void> {
    const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
    for (const socket of listener.sockets) socket.destroy();
    listener.sockets.clear();
    await closed;
  }

  private async reopen(listener: Listener): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(listener.port, this.host, () => {
        listener.server.off('error', reject);
        resolve();
      });
    });
  }

  private async handle(listener: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    const path = (req.url ?? '/').split('?')[0]?.toLowerCase() ?? '/';
    const endpoint = listener.routes.get(path);
    if (!core || !endpoint) {
      sendHtml(res, 404, 'Not Found');
      return;
    }
    let clientCert = peerCertificate(req, core);
    if (!clientCert && this.renegotiate && endpoint.auth === 'certificate' && req.method === 'POST') clientCert = await renegotiateForCertificate(req, core);
    const logBase = { endpoint: endpoint.name, ...(clientCert ? { clientCertThumbprint: clientCert.thumbprint } : {}) };
    const fault = this.faults.get(endpoint.name);
    const injected = (): void => void core.log.record({ ...logBase, auth: clientCert ? 'certificate' : 'none', operation: 'Unknown', outcome: `injected:${describeFault(fault!)}` });
    if (isTransportFault(fault)) {
      injected();
      if (fault.kind === 'refuse' || fault.kind === 'resetAfterHandshake') req.socket.destroy();
      else if (fault.kind === 'hang' || fault.kind === 'blackhole') this.hanging.add(res);
      else if (fault.kind === 'http500') sendHtml(res, 500, HTTP_500_BODY);
      else if (fault.kind === 'notFound') sendHtml(res, 404, '404 - File or directory not found.');
      else if (fault.kind === 'http413') sendHtml(res, 413, 'Request Entity Too Large');
      else send(res, 200, SOAP_CONTENT_TYPE, MALFORMED_BODY);
      return;
    }
    if (fault?.kind === 'tls13ClientCert' && endpoint.auth === 'certificate' && (req.socket as TLSSocket).getProtocol?.() === 'TLSv1.3') {
      // IIS asks for the client certificate by renegotiation, which TLS 1.3 does not have.
      injected();
      if (fault.mode === 'reset') req.socket.destroy();
      else sendHtml(res, 500, HTTP_500_BODY);
      return;
    }
    if (req.method !== 'POST') {
      sendHtml(res, 405, 'Method Not Allowed');
      return;
    }
    if (endpoint.auth === 'certificate' && !clientCert) {
      // IIS with "require client certificate": 403.7, no SOAP.
      core.log.record({ ...logBase, auth: 'none', operation: 'Unknown', outcome: 'http:403' });
      sendHtml(res, 403, '403 - Forbidden: Access is denied. Client certificate required.');
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      core.log.record({ ...logBase, auth: clientCert ? 'certificate' : 'none', operation: 'Unknown', outcome: 'http:413' });
      sendHtml(res, 413, 'Request Entity Too Large');
      return;
    }
    if (fault?.kind === 'uploadReadAhead' && endpoint.auth === 'certificate' && body.length > (fault.limitBytes ?? UPLOAD_READ_AHEAD_DEFAULT_BYTES)) {
      injected();
      sendHtml(res, 413, '413 - Request Entity Too Large');
      return;
    }
    let kerberosPrincipal: string | undefined;
    if (endpoint.auth === 'kerberos') {
      const outcome = this.negotiate ? await this.negotiate.authenticate(req, res) : ({ kind: 'refused', outcome: 'http:401:no-acceptor' } as const);
      if (outcome.kind === 'refused') {
        if (!res.headersSent) sendHtml(res, 401, '401 - Unauthorized');
        core.log.record({ ...logBase, auth: 'none', operation: 'Unknown', outcome: outcome.outcome });
        return;
      }
      kerberosPrincipal = outcome.principal;
    }
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.kind === 'reflectRequest') {
      core.log.record({ ...logBase, auth: clientCert ? 'certificate' : 'none', operation: 'Unknown', outcome: 'injected:reflectRequest' });
      send(res, 500, SOAP_CONTENT_TYPE, reflectedFault(body));
      return;
    }
    try {
      const result = await handleSoap({
        core,
        endpoint,
        body,
        ...(clientCert ? { clientCert } : {}),
        ...(kerberosPrincipal !== undefined ? { kerberosPrincipal } : {}),
        now: new Date(),
        ...(fault ? { fault } : {}),
      });
      const changesAnswer = fault !== undefined && !['slow', 'slowSubmit', 'uploadReadAhead', 'tls13ClientCert', 'kerberosOnly'].includes(fault.kind);
      core.log.record({ ...logBase, ...result.log, ...(changesAnswer ? { outcome: `${result.log.outcome} injected:${describeFault(fault)}` } : {}) });
      if (fault?.kind === 'slowSubmit') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      const answer = fault?.kind === 'wrongAction' ? withWrongAction(result.body) : result.body;
      if (answer === '') sendHtml(res, result.status, '');
      else send(res, result.status, SOAP_CONTENT_TYPE, answer);
    } catch (error) {
      core.log.record({ ...logBase, auth: 'none', operation: 'Unknown', outcome: `error:${(error as Error).message}` });
      sendHtml(res, 500, HTTP_500_BODY);
    }
  }
}

/** IIS asking for the client certificate of a connection made without one (TLS 1.2 only). */
async function renegotiateForCertificate(req: IncomingMessage, core: LabCore): Promise<ClientCertificate | undefined> {
  const socket = req.socket as TLSSocket;
  if (socket.getProtocol() !== 'TLSv1.2') return undefined;
  const done = await new Promise<boolean>((resolve) => {
    if (!socket.renegotiate({ requestCert: true, rejectUnauthorized: false }, (error) => resolve(!error))) resolve(false);
  });
  return done ? peerCertificate(req, core) : undefined;
}

function peerCertificate(req: IncomingMessage, core: LabCore): ClientCertificate | undefined {
  const socket = req.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer || !peer.raw || peer.raw.length === 0) return undefined;
  try {
    return inspectClientCertificate(new Uint8Array(peer.raw), core.pki.cas);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/html', body);
}
