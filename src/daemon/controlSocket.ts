// The running service's control socket (see controlProtocol.ts for the wire format). Created
// with umask 0177 and chmod'ed 0600 afterwards, inside the 0700 state folder: only the service's
// own user (root) can ask for a pass or read live state. A socket file left by a crashed service
// is detected (nothing answers) and replaced; a live one means a second service: refused.
import { ensureDir } from '../store/atomicFile.js';
import { chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import { errorToJson, InternalError, ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { controlSocketPath, MAX_UNIX_SOCKET_PATH } from './controlPath.js';
import { MAX_REQUEST_BYTES, parseControlRequest } from './controlProtocol.js';
import type { ControlReply, LiveStatus } from './controlProtocol.js';

export interface ControlHandlers {
  status(): LiveStatus;
  /** Resolves once the pass ran (the caller decides whether to wait for it). */
  pulse(): Promise<{ result: unknown; exitCode: number }>;
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

export async function startControlServer(stateDir: string, handlers: ControlHandlers, logger: Logger): Promise<ControlServer> {
  const socketPath = controlSocketPath(stateDir);
  const unix = process.platform !== 'win32';
  if (unix) {
    if (Buffer.byteLength(socketPath) > MAX_UNIX_SOCKET_PATH) {
      throw new ConfigError(`the control socket path ${socketPath} is longer than the system allows; use a shorter stateDir`, {}, 'CONTROL_PATH_TOO_LONG');
    }
    await ensureDir(stateDir, 0o700);
    await removeStaleSocket(socketPath);
  }

  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffered = '';
    let handled = false;
    socket.on('data', (chunk: string) => {
      if (handled) return;
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0 && buffered.length <= MAX_REQUEST_BYTES) return;
      handled = true;
      const line = newline < 0 ? '' : buffered.slice(0, newline);
      if (newline < 0) {
        reply(socket, { ok: false, error: { code: 'CONTROL_BAD_REQUEST', message: 'request line too long' } });
        return;
      }
      void handle(line, socket);
    });
  });

  const handle = async (line: string, socket: net.Socket): Promise<void> => {
    const parsed = parseControlRequest(line);
    if ('error' in parsed) return reply(socket, { ok: false, error: parsed.error });
    const { request } = parsed;
    logger.debug('control.request', { command: request.command });
    try {
      if (request.command === 'status') return reply(socket, { ok: true, result: handlers.status() });
      const pass = handlers.pulse();
      if (!request.wait) {
        pass.catch(() => undefined);
        return reply(socket, { ok: true, result: { accepted: true } });
      }
      const { result, exitCode } = await pass;
      return reply(socket, { ok: true, result, exitCode });
    } catch (error) {
      return reply(socket, { ok: false, error: errorToJson(error) });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new InternalError(`another autoenroll service is already running for ${stateDir} (${socketPath})`, 'SERVICE_ALREADY_RUNNING')
          : new InternalError(`cannot listen on ${socketPath}: ${error.message}`, 'CONTROL_LISTEN_FAILED'),
      );
    });
    // The socket file takes the process umask at bind time; bind happens inside listen().
    const previous = unix ? process.umask(0o177) : 0;
    try {
      server.listen(socketPath, () => resolve());
    } finally {
      if (unix) process.umask(previous);
    }
  });
  if (unix) await chmod(socketPath, 0o600);
  logger.debug('control.listening', { path: socketPath });

  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        // Closing a Unix server removes its socket file.
        server.close(() => resolve());
      }),
  };
}

function reply(socket: net.Socket, message: ControlReply): void {
  if (socket.destroyed) return;
  socket.end(`${JSON.stringify(message)}\n`);
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean | 'absent'>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' ? 'absent' : false));
  });
  if (alive === true) {
    throw new InternalError(`another autoenroll service is already running (it answers on ${socketPath}); stop it first`, 'SERVICE_ALREADY_RUNNING');
  }
  if (alive === false) await unlink(socketPath).catch(() => undefined);
}
