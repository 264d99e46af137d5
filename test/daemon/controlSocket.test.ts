import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlRequest, readLiveStatus, requestPulse } from '../../src/daemon/controlClient.js';
import { controlSocketPath } from '../../src/daemon/controlPath.js';
import type { LiveStatus } from '../../src/daemon/controlProtocol.js';
import { startControlServer } from '../../src/daemon/controlSocket.js';
import type { ControlServer } from '../../src/daemon/controlSocket.js';
import { silentLogger } from '../../src/log/logger.js';

const unixOnly = describe.skipIf(process.platform === 'win32');

const status = (stateDir: string): LiveStatus => ({
  pid: process.pid,
  version: 'test',
  configFile: '/etc/autoenroll/config.yaml',
  stateDir,
  startedAt: new Date(0).toISOString(),
  uptimeMs: 1,
  scheduler: { phase: 'sleeping', passes: 1, currentPass: null, lastPass: null, nextIntervalAt: null, nextPlannedWakeAt: null, nextWakeAt: null },
  cpuUserMicros: 1,
  cpuSystemMicros: 1,
  rssBytes: 1,
  certificates: [],
});

const servers: ControlServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

unixOnly('control socket', () => {
  it('answers status and pulse; the socket is 0600 and goes away on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-ctl-'));
    let pulses = 0;
    let finishPass: (v: { result: unknown; exitCode: number }) => void = () => undefined;
    const server = await startControlServer(
      dir,
      {
        status: () => status(dir),
        pulse: () => {
          pulses += 1;
          return new Promise((resolve) => (finishPass = resolve));
        },
      },
      silentLogger,
    );
    servers.push(server);
    expect(server.path).toBe(path.join(dir, 'control.sock'));
    expect(statSync(server.path).mode & 0o777).toBe(0o600);

    expect(await readLiveStatus(dir)).toEqual(status(dir));

    // Without wait: accepted at once while the pass is still running.
    expect(await requestPulse(dir, false)).toEqual({ result: { accepted: true }, exitCode: 0 });
    const waited = requestPulse(dir, true);
    await new Promise((r) => setTimeout(r, 50));
    finishPass({ result: { certificates: [] }, exitCode: 6 });
    expect(await waited).toEqual({ result: { certificates: [] }, exitCode: 6 });
    expect(pulses).toBe(2);

    await server.close();
    servers.pop();
    expect(() => statSync(server.path)).toThrow();
    expect(await readLiveStatus(dir)).toBeNull();
  });

  it('no service running: the client answers null', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-ctl-'));
    expect(await readLiveStatus(dir)).toBeNull();
    expect(await requestPulse(dir, true)).toBeNull();
    // A plain file where the socket would be (left by something else) is not a service either.
    writeFileSync(controlSocketPath(dir), '');
    expect(await readLiveStatus(dir)).toBeNull();
  });

  it('replaces a socket left by a crashed service, and refuses to start beside a live one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-ctl-'));
    // A dead socket file: its listener was SIGKILLed, so nothing unlinked it.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(controlSocketPath(dir))}, () => console.log('up'))`]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(controlSocketPath(dir))).toBe(true);
    const handlers = { status: () => status(dir), pulse: async () => ({ result: null, exitCode: 0 }) };
    const server = await startControlServer(dir, handlers, silentLogger);
    servers.push(server);
    expect(await readLiveStatus(dir)).not.toBeNull();
    await expect(startControlServer(dir, handlers, silentLogger)).rejects.toMatchObject({ code: 'SERVICE_ALREADY_RUNNING' });
  });

  it('answers malformed and unknown requests with an error instead of hanging', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-ctl-'));
    servers.push(await startControlServer(dir, { status: () => status(dir), pulse: async () => ({ result: null, exitCode: 0 }) }, silentLogger));
    expect(await controlRequest(dir, { command: 'reboot' } as never)).toMatchObject({ ok: false, error: { code: 'CONTROL_UNKNOWN_COMMAND' } });
    const raw = await new Promise<string>((resolve) => {
      const socket = net.connect(controlSocketPath(dir), () => socket.write('not json\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
    });
    expect(JSON.parse(raw)).toMatchObject({ ok: false, error: { code: 'CONTROL_BAD_REQUEST' } });
  });
});

describe('controlSocketPath', () => {
  it('is a named pipe per state folder on Windows', () => {
    const a = controlSocketPath('C:\\ProgramData\\autoenroll', 'win32');
    expect(a).toMatch(/^\\\\\.\\pipe\\autoenroll-[0-9a-f]{16}$/);
    expect(controlSocketPath('c:\\programdata\\AUTOENROLL', 'win32')).toBe(a);
    expect(controlSocketPath('D:\\other', 'win32')).not.toBe(a);
  });
});
