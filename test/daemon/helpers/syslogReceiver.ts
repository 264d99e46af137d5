// A local syslog socket for the system-log sink tests: a unix stream socket (util-linux logger
// falls back to a stream when the socket is not a datagram one) collecting one entry per line.
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';

export interface SyslogReceiver {
  path: string;
  lines: string[];
  close(): Promise<void>;
}

export async function startSyslogReceiver(path: string): Promise<SyslogReceiver> {
  rmSync(path, { force: true });
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
    });
    socket.on('close', () => {
      if (buffer) lines.push(buffer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A node script for the command sink: appends {env: AUTOENROLL_*, stdin} as one JSON line to argv[2]. */
export const RECORDER_SCRIPT = `import { appendFileSync } from 'node:fs';
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AUTOENROLL_')));
  appendFileSync(process.argv[2], JSON.stringify({ env, stdin: input }) + '\\n');
});
`;
