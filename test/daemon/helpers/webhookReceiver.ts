// A local HTTPS webhook receiver for the notification tests: records every request body; can be
// told to stall (accept and never answer) or to answer with a status.
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface WebhookReceiver {
  url: string;
  /** Parsed JSON bodies, in arrival order. */
  received: Array<Record<string, unknown>>;
  /** TLS connections that completed a handshake. */
  secureConnections: number;
  /** TLS handshakes that failed (the client refused our certificate). */
  tlsErrors: number;
  mode: 'ok' | 'stall' | 'error';
  close(): Promise<void>;
}

export async function startWebhookReceiver(tls: { certPem: string; keyPem: string }): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secureConnections: 0,
    tlsErrors: 0,
    mode: 'ok',
    close: async () => undefined,
  };
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        receiver.received.push(JSON.parse(body) as Record<string, unknown>);
      } catch {
        receiver.received.push({ unparsable: body });
      }
      if (receiver.mode === 'stall') return;
      res.writeHead(receiver.mode === 'ok' ? 204 : 503).end();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', () => (receiver.secureConnections += 1));
  server.on('tlsClientError', () => (receiver.tlsErrors += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/autoenroll?token=abc`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return receiver;
}
