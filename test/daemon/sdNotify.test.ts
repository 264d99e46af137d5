import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/daemon/sdNotify.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';

const hasNotify = spawnSync('systemd-notify', ['--version']).status === 0;
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasNotify || !hasPython) console.warn('systemd-notify or python3 missing: the $NOTIFY_SOCKET test is skipped');

/** A Unix datagram socket standing in for systemd's, answering the barrier the way systemd does. */
async function fakeNotifySocket(socketPath: string) {
  const script = `
import socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("ready", flush=True)
while True:
    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(128))
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = int.from_bytes(data[0:4], 'little')
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i'); fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
            for fd in fds: os.close(fd)   # closing the barrier fd releases systemd-notify
    text = msg.decode()
    if text.strip() != 'BARRIER=1':
        print(f"{pid} {text.replace(chr(10), '|')}", flush=True)
`;
  const child = spawn('python3', ['-c', script, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => {
    const check = (): void => (out.includes('ready') ? resolve() : void setTimeout(check, 20));
    check();
  });
  return {
    lines: () => out.split('\n').filter((l) => l && l !== 'ready'),
    close: () => child.kill(),
  };
}

describe('systemd notification', () => {
  it('is a no-op outside systemd', async () => {
    const notifier = createNotifier({ env: {}, logger: silentLogger, command: '/nonexistent' });
    expect(notifier.enabled).toBe(false);
    await notifier.ready('up');
  });

  it.skipIf(!hasNotify || !hasPython)('sends READY=1, STATUS= and STOPPING=1 to $NOTIFY_SOCKET on behalf of the main pid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-notify-'));
    const socketPath = path.join(dir, 'notify');
    const fake = await fakeNotifySocket(socketPath);
    try {
      expect(existsSync(socketPath)).toBe(true);
      const notifier = createNotifier({ env: { ...process.env, NOTIFY_SOCKET: socketPath }, logger: silentLogger });
      await notifier.ready('waiting for the first pass');
      await notifier.status('next wake 2030-01-01T00:00:00Z\nsecond line');
      await notifier.stopping();
      await new Promise((r) => setTimeout(r, 100));
      const lines = fake.lines();
      expect(lines.map((l) => l.slice(l.indexOf(' ') + 1))).toEqual([
        `MAINPID=${process.pid}|READY=1|STATUS=waiting for the first pass`,
        `MAINPID=${process.pid}|STATUS=next wake 2030-01-01T00:00:00Z second line`,
        `MAINPID=${process.pid}|STOPPING=1|STATUS=stopping`,
      ]);
    } finally {
      fake.close();
    }
  });

  it('a missing systemd-notify is logged once, never thrown', async () => {
    let logged = '';
    const logger = createLogger({ sink: { write: (c: string) => (logged += c) }, format: 'json' });
    const notifier = createNotifier({ env: { NOTIFY_SOCKET: '/run/nothing' }, logger, command: '/nonexistent/systemd-notify' });
    await notifier.ready('x');
    await notifier.status('y');
    expect(logged.trim().split('\n')).toHaveLength(1);
    expect(logged).toContain('systemd.notify_failed');
  });
});
