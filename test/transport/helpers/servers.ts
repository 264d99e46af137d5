// Real listeners on 127.0.0.1 for the transport tests: HTTPS servers with the test PKI, a port
// that refuses connections, a server that accepts and never answers, and a CONNECT proxy.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Listener {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

async function listen(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export const soapOk = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><ok/></s:Body></s:Envelope>';
export const soapFault =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code>' +
  '<s:Reason><s:Text xml:lang="en-US">Denied by Policy Module</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>';

export const answerSoap: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
  res.end(soapOk);
};

export async function startHttpsServer(options: {
  cert: string;
  key: string;
  /** Require a client certificate verified against this CA. */
  clientCa?: string;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  handler?: Handler;
  path?: string;
}): Promise<Listener & { peerSubjects: string[] }> {
  const peerSubjects: string[] = [];
  const server = createHttpsServer(
    {
      cert: options.cert,
      key: options.key,
      ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      ...(options.minVersion ? { minVersion: options.minVersion } : {}),
      ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      listener.requests++;
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      if (peer && peer.subject) peerSubjects.push(`CN=${String(peer.subject.CN)}`);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => (options.handler ?? answerSoap)(req, res, Buffer.concat(chunks).toString('utf8')));
    },
  );
  server.on('secureConnection', () => listener.connections++);
  const sockets = track(server);
  await listen(server);
  const port = portOf(server);
  const listener = { url: `https://127.0.0.1:${port}${options.path ?? '/CES'}`, port, connections: 0, requests: 0, peerSubjects, close: closer(server, sockets) };
  return listener;
}

/** A port on which nothing listens (connections are refused). */
export async function refusingUrl(): Promise<string> {
  const server = createNetServer();
  await listen(server);
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `https://127.0.0.1:${port}/CES`;
}

/** Accepts TCP connections and never says a word (no TLS handshake, no answer). */
export async function startBlackHole(): Promise<Listener> {
  const server = createNetServer(() => listener.connections++);
  const sockets = track(server);
  await listen(server);
  const port = portOf(server);
  const listener = { url: `https://127.0.0.1:${port}/CES`, port, connections: 0, requests: 0, close: closer(server, sockets) };
  return listener;
}

/** A minimal HTTP CONNECT proxy that records the authorities it tunnelled to. */
export async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect({ host, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  const sockets = track(server);
  await listen(server);
  return { url: `http://127.0.0.1:${portOf(server)}`, tunnels, close: closer(server, sockets) };
}
