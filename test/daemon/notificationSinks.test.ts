// The sinks on their own, against real listeners: an HTTPS receiver (trusted, untrusted, stalling,
// failing), a command run without a shell, and a syslog socket.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSink, notificationEnvironment } from '../../src/daemon/commandSink.js';
import { NotificationDelivery } from '../../src/daemon/notificationDelivery.js';
import { readOutbox, updateOutbox } from '../../src/daemon/notificationOutbox.js';
import { enqueue } from '../../src/daemon/outboxModel.js';
import type { QueuedEvent } from '../../src/daemon/outboxModel.js';
import { createSystemLogSink, findLogger, JOURNAL_SOCKET, journalEntry, syslogLine, systemLogMode } from '../../src/daemon/systemLogSink.js';
import { createWebhookSink } from '../../src/daemon/webhookSink.js';
import { silentLogger } from '../../src/log/logger.js';
import { hasOpenssl } from '../helpers/tools.js';
import { createTestPki } from '../transport/helpers/testPki.js';
import type { TestPki } from '../transport/helpers/testPki.js';
import { RECORDER_SCRIPT, startSyslogReceiver } from './helpers/syslogReceiver.js';
import { startWebhookReceiver } from './helpers/webhookReceiver.js';
import type { WebhookReceiver } from './helpers/webhookReceiver.js';

const sample = (over: Partial<QueuedEvent> = {}): QueuedEvent => ({
  type: 'renewal-failing',
  certificateId: 'web',
  at: '2026-06-01T00:00:00.000Z',
  summary: 'web: 1 failed attempt: every endpoint failed\nsecond line [UNREACHABLE]',
  status: 'BACKING_OFF',
  thumbprint: 'AB12',
  previousThumbprint: null,
  serial: '0A',
  notAfter: '2026-07-01T00:00:00.000Z',
  renewAt: '2026-06-15T00:00:00.000Z',
  generation: 2,
  consecutiveFailures: 1,
  error: { code: 'UNREACHABLE', message: 'every endpoint failed' },
  pending: null,
  thresholdSeconds: null,
  secondsLeft: null,
  repeated: false,
  eventId: 'e-1',
  host: 'ws01',
  ...over,
});

describe.skipIf(!hasOpenssl)('webhook sink', () => {
  let pki: TestPki;
  let trusted: WebhookReceiver;
  let untrusted: WebhookReceiver;
  let caFile: string;
  beforeAll(async () => {
    pki = createTestPki();
    caFile = join(pki.dir, 'root-for-webhook.pem');
    writeFileSync(caFile, pki.rootPem);
    trusted = await startWebhookReceiver(pki.server);
    untrusted = await startWebhookReceiver(pki.unknownIssuer);
  });
  afterAll(async () => {
    await trusted?.close();
    await untrusted?.close();
  });

  it('POSTs the event as JSON to a receiver trusted through caFile', async () => {
    trusted.mode = 'ok';
    const sink = createWebhookSink('chat', { kind: 'webhook', url: trusted.url, caFile, timeoutMs: 5000 });
    await sink.deliver(sample());
    await sink.close?.();
    expect(trusted.received.at(-1)).toEqual(JSON.parse(JSON.stringify(sample())));
  });

  it('trust.caFile serves when the sink names none; the system store alone does not trust a private CA', async () => {
    const viaTrust = createWebhookSink('chat', { kind: 'webhook', url: trusted.url, timeoutMs: 5000 }, { trustCaFile: caFile });
    await viaTrust.deliver(sample({ eventId: 'e-2' }));
    await viaTrust.close?.();
    const systemOnly = createWebhookSink('chat', { kind: 'webhook', url: trusted.url, timeoutMs: 5000 });
    await expect(systemOnly.deliver(sample({ eventId: 'e-3' }))).rejects.toThrow(/certificate/i);
    await systemOnly.close?.();
    expect(trusted.received.map((e) => e.eventId)).not.toContain('e-3');
  });

  it('a receiver with an untrusted certificate gets nothing; the error names the origin, not the token in the URL', async () => {
    const sink = createWebhookSink('chat', { kind: 'webhook', url: untrusted.url, caFile, timeoutMs: 5000 });
    const error = await sink.deliver(sample()).then(() => null, (e: unknown) => e as Error);
    await sink.close?.();
    expect(error?.message).toMatch(/^webhook https:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    expect(error?.message).not.toContain('token=');
    expect(untrusted.received).toEqual([]);
    // The server sees the client's alert a moment after the client gave up.
    for (let i = 0; i < 40 && untrusted.tlsErrors === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(untrusted.tlsErrors).toBeGreaterThan(0);
  });

  it('a receiver that stalls is left after the timeout; an HTTP error is a failure', async () => {
    trusted.mode = 'stall';
    const sink = createWebhookSink('chat', { kind: 'webhook', url: trusted.url, caFile, timeoutMs: 700 });
    const started = Date.now();
    await expect(sink.deliver(sample())).rejects.toThrow(/no answer within 700 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    trusted.mode = 'error';
    await expect(sink.deliver(sample())).rejects.toThrow(/HTTP 503/);
    await sink.close?.();
    trusted.mode = 'ok';
  });

  it('delivery retries a failing receiver with backoff until it accepts, then the outbox is empty', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ae-outbox-'));
    await updateOutbox(stateDir, (file) => enqueue(file, 'chat', [sample({ eventId: 'retry-1' }), sample({ eventId: 'retry-2' })], Date.now()));
    trusted.mode = 'error';
    const sink = createWebhookSink('chat', { kind: 'webhook', url: trusted.url, caFile, timeoutMs: 2000 });
    const delivery = new NotificationDelivery({ stateDir, logger: silentLogger, backoff: { initialMs: 300, maxMs: 1000 }, leaseMs: () => 5000 });
    const before = trusted.received.length;
    setTimeout(() => (trusted.mode = 'ok'), 500);
    const report = await delivery.drainSink(sink, { untilMs: Date.now() + 15_000 });
    await sink.close?.();
    expect(report.delivered).toBe(2);
    expect(report.failed).toBeGreaterThanOrEqual(1);
    const ids = trusted.received.slice(before).map((e) => e.eventId);
    expect(ids.filter((id) => id === 'retry-1').length).toBeGreaterThanOrEqual(2);
    expect(ids.at(-1)).toBe('retry-2');
    expect((await readOutbox(stateDir)).queues.chat).toEqual([]);
  });

  it('a one-shot drain does not wait for a retry due after its deadline', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ae-outbox-'));
    await updateOutbox(stateDir, (file) => enqueue(file, 'chat', [sample({ eventId: 'late' })], Date.now()));
    const sink = createWebhookSink('chat', { kind: 'webhook', url: untrusted.url, caFile, timeoutMs: 2000 });
    const delivery = new NotificationDelivery({ stateDir, logger: silentLogger, backoff: { initialMs: 60_000, maxMs: 60_000 }, leaseMs: () => 5000 });
    const started = Date.now();
    const report = await delivery.drainSink(sink, { untilMs: Date.now() + 10_000 });
    await sink.close?.();
    expect(report).toEqual({ delivered: 0, failed: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    const [item] = (await readOutbox(stateDir)).queues.chat!;
    expect(item).toMatchObject({ attempts: 1, claim: null, lastError: expect.stringMatching(/certificate/i) });
  });
});

describe.skipIf(process.platform === 'win32')('command sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-command-sink-'));
  const recorder = join(dir, 'recorder.mjs');
  writeFileSync(recorder, RECORDER_SCRIPT);

  it('runs argv without a shell, with the event as JSON on stdin and as AUTOENROLL_* variables', async () => {
    const log = join(dir, 'log; echo injected > pwned');
    const sink = createCommandSink('hook', { kind: 'command', argv: [process.execPath, recorder, log], timeoutMs: 10_000 });
    await sink.deliver(sample());
    const entry = JSON.parse(readFileSync(log, 'utf8').trim()) as { env: Record<string, string>; stdin: string };
    expect(JSON.parse(entry.stdin)).toEqual(JSON.parse(JSON.stringify(sample())));
    expect(entry.env).toMatchObject(notificationEnvironment(sample()));
    expect(entry.env).toMatchObject({ AUTOENROLL_EVENT: 'renewal-failing', AUTOENROLL_ID: 'web', AUTOENROLL_EVENT_ID: 'e-1', AUTOENROLL_ERROR_CODE: 'UNREACHABLE', AUTOENROLL_FAILURES: '1', AUTOENROLL_HOST: 'ws01' });
  });

  it('a command that fails, or outlives its timeout, is a failed delivery naming why', async () => {
    const fail = createCommandSink('hook', { kind: 'command', argv: [process.execPath, '-e', 'console.error("no route to pager"); process.exit(2)'], timeoutMs: 10_000 });
    await expect(fail.deliver(sample())).rejects.toThrow(/exited with status 2: no route to pager/);
    const slow = createCommandSink('hook', { kind: 'command', argv: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 300 });
    await expect(slow.deliver(sample())).rejects.toThrow(/timed out after 300 ms/);
    const missing = createCommandSink('hook', { kind: 'command', argv: [join(dir, 'no-such-program')], timeoutMs: 1000 });
    await expect(missing.deliver(sample())).rejects.toThrow(/could not be started/);
  });
});

const loggerPath = findLogger();
if (loggerPath === null) {
  // .ci/run installs it (bsdutils): in CI the syslog sink must be tested, not skipped.
  if (process.env.CI === 'true') throw new Error('util-linux logger is missing under CI=true; .ci/run installs bsdutils');
  console.log('[system log sink] util-linux logger is absent: its tests are skipped');
}

describe('system log sink', () => {
  it('journald entry: one FIELD=value line per field, values on one line', () => {
    const entry = journalEntry(sample(), { facility: 'daemon', tag: 'autoenroll' });
    const lines = entry.trimEnd().split('\n');
    expect(lines).toContain('MESSAGE=web: 1 failed attempt: every endpoint failed second line [UNREACHABLE]');
    expect(lines).toContain('PRIORITY=3');
    expect(lines).toContain('SYSLOG_IDENTIFIER=autoenroll');
    expect(lines).toContain('SYSLOG_FACILITY=3');
    expect(lines).toContain('AUTOENROLL_EVENT=renewal-failing');
    expect(lines).toContain('AUTOENROLL_ID=web');
    expect(lines.every((l) => /^[A-Z_]+=/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('AUTOENROLL_REQUEST_ID='))).toBe(false);
    expect(syslogLine(sample())).toBe('web: 1 failed attempt: every endpoint failed second line [UNREACHABLE] [event=renewal-failing id=web eventId=e-1]\n');
  });

  it('auto is journald when the journal socket exists, else syslog', () => {
    const base = { kind: 'systemLog' as const, facility: 'daemon', tag: 'autoenroll' };
    expect(systemLogMode({ ...base, mode: 'auto' }, join(tmpdir(), 'no-journal-here'))).toBe('syslog');
    expect(systemLogMode({ ...base, mode: 'auto' }, tmpdir())).toBe('journald');
    expect(systemLogMode({ ...base, mode: 'syslog' }, tmpdir())).toBe('syslog');
  });

  it.skipIf(loggerPath === null || process.platform === 'win32')('syslog: the line reaches the socket with facility and severity; an absent socket is a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-syslog-'));
    const receiver = await startSyslogReceiver(join(dir, 'log.sock'));
    try {
      const sink = createSystemLogSink('journal', { kind: 'systemLog', mode: 'syslog', socket: receiver.path, facility: 'local3', tag: 'autoenroll' });
      await sink.deliver(sample());
      await sink.deliver(sample({ type: 'recovered', eventId: 'e-2', summary: 'web: healthy again' }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // local3 = 19: err → 19*8+3 = 155, info → 19*8+6 = 158.
      expect(receiver.lines[0]).toMatch(/^<155>.* autoenroll(\[\d+\])?: web: 1 failed attempt: every endpoint failed second line \[UNREACHABLE\] \[event=renewal-failing id=web eventId=e-1\]$/);
      expect(receiver.lines[1]).toMatch(/^<158>.*web: healthy again \[event=recovered/);
      const nowhere = createSystemLogSink('journal', { kind: 'systemLog', mode: 'syslog', socket: join(dir, 'absent.sock'), facility: 'daemon', tag: 'autoenroll' });
      await expect(nowhere.deliver(sample())).rejects.toThrow(/system log \(syslog .*absent\.sock\): logger exited with status 1/);
    } finally {
      await receiver.close();
    }
  });

  const journal = existsSync(JOURNAL_SOCKET) && loggerPath !== null && spawnSync('journalctl', ['--version']).status === 0;
  if (!journal) console.log(`[system log sink] no journald here (${JOURNAL_SOCKET} absent): the live journal test is skipped`);
  it.skipIf(!journal)('journald: the entry is in the journal with its AUTOENROLL_* fields', async () => {
    const eventId = randomUUID();
    const sink = createSystemLogSink('journal', { kind: 'systemLog', mode: 'journald', facility: 'daemon', tag: 'autoenroll-test' });
    await sink.deliver(sample({ eventId }));
    let found: Record<string, string> | undefined;
    for (let i = 0; i < 50 && !found; i++) {
      const out = spawnSync('journalctl', ['-o', 'json', '--no-pager', `AUTOENROLL_EVENT_ID=${eventId}`], { encoding: 'utf8' }).stdout.trim();
      if (out) found = JSON.parse(out.split('\n')[0]!) as Record<string, string>;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found).toMatchObject({ AUTOENROLL_EVENT: 'renewal-failing', AUTOENROLL_ID: 'web', PRIORITY: '3', SYSLOG_IDENTIFIER: 'autoenroll-test' });
  });

  it('a missing logger program is a failed delivery saying so', async () => {
    const sink = createSystemLogSink('journal', { kind: 'systemLog', mode: 'syslog', facility: 'daemon', tag: 'autoenroll' }, { loggerPath: join(tmpdir(), 'no-such-logger') });
    await expect(sink.deliver(sample())).rejects.toThrow(/system log/);
  });
});
