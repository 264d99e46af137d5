// Where the running service listens: stateDir/control.sock (a Unix socket, 0600, inside the 0700
// state folder), or on Windows the named pipe \\.\pipe\autoenroll-<hash of the state folder>, so
// two services with different state folders never collide.
import { createHash } from 'node:crypto';
import path from 'node:path';

export function controlSocketPath(stateDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const hash = createHash('sha256').update(path.win32.resolve(stateDir).toLowerCase()).digest('hex').slice(0, 16);
    return `\\\\.\\pipe\\autoenroll-${hash}`;
  }
  return path.join(path.resolve(stateDir), 'control.sock');
}

/** sun_path is 108 bytes on Linux and 104 on macOS, terminating NUL included. */
export const MAX_UNIX_SOCKET_PATH = process.platform === 'darwin' ? 103 : 107;
