// The lab's HTTPS listeners. Every listener asks for a client certificate without letting TLS
// reject it (server side only: requestCert + rejectUnauthorized:false) — the certificate
// endpoints check it themselves so that they can answer like IIS/CES. Fault injection happens
// here, before the SOAP layer.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inspectClientCertificate } from './clientCertificate.js';
import type { ClientCertificate } from './clientCertificate.js';
import { HTTP_500_BODY, MALFORMED_BODY, describeFault } from './faultInjection.js';
import type { LabFault } from './faultInjection.js';
import type { LabCore } from './labCore.js';
import type { LabEndpoint } from './labEndpoints.js';
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
}

export class LabServer {
  readonly listeners: Listener[] = [];
  readonly faults = new Map<string, LabFault>();
  private readonly hanging = new Set<ServerResponse>();
  core: LabCore | undefined;

  constructor(
    private readonly tls: { certPem: string; keyPem: string },
    private readonly host: string,
  ) {}

  async listen(port: number): Promise<Listener> {
    const server = createServer(
      { cert: this.tls.certPem, key: this.tls.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
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
    if (fault?.kind === 'refuse' && !listener.refusing) {
      listener.refusing = true;
      await this.closeListener(listener);
    } else if (fault?.kind !== 'refuse' && listener.refusing) {
      listener.refusing = false;
      await this.reopen(listener);
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
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
    const clientCert = peerCertificate(req, core);
    const logBase = { endpoint: endpoint.name, ...(clientCert ? { clientCertThumbprint: clientCert.thumbprint } : {}) };
    const fault = this.faults.get(endpoint.name);
    if (fault && fault.kind !== 'slow') {
      core.log.record({ ...logBase, auth: clientCert ? 'certificate' : 'none', operation: 'Unknown', outcome: `injected:${describeFault(fault)}` });
      if (fault.kind === 'refuse') req.socket.destroy();
      else if (fault.kind === 'hang') this.hanging.add(res);
      else if (fault.kind === 'http500') sendHtml(res, 500, HTTP_500_BODY);
      else if (fault.kind === 'http413') sendHtml(res, 413, 'Request Entity Too Large');
      else send(res, 200, SOAP_CONTENT_TYPE, MALFORMED_BODY);
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
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    try {
      const result = await handleSoap({ core, endpoint, body, ...(clientCert ? { clientCert } : {}), now: new Date() });
      core.log.record({ ...logBase, ...result.log });
      if (result.body === '') sendHtml(res, result.status, '');
      else send(res, result.status, SOAP_CONTENT_TYPE, result.body);
    } catch (error) {
      core.log.record({ ...logBase, auth: 'none', operation: 'Unknown', outcome: `error:${(error as Error).message}` });
      sendHtml(res, 500, HTTP_500_BODY);
    }
  }
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
