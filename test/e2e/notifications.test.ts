// Acceptance: notifications against the lab, a local HTTPS webhook receiver (trusted through
// trust.caFile), a second receiver whose certificate nobody trusts, a command sink and a syslog
// socket. A CES failing over 10 passes gives one renewal-failing per sink, then recovered; a
// pending request gives pending-approval; a short-lived certificate gives expiring per threshold.
// Canaries (the enrollment password and a PFX password) appear in no event.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hasOpenssl } from '../helpers/tools.js';
import { RECORDER_SCRIPT, startSyslogReceiver } from '../daemon/helpers/syslogReceiver.js';
import type { SyslogReceiver } from '../daemon/helpers/syslogReceiver.js';
import { startWebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import type { WebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import { createTestPki } from '../transport/helpers/testPki.js';
import { CES_CERTIFICATE, CES_USERNAME, cli, passResult, useAgentLab } from './agentLab.js';

const PFX_CANARY = 'pfx-canary-7f3e9c1d';
const hasLogger = existsSync('/usr/bin/logger') || existsSync('/bin/logger');
if (!hasLogger) console.log('[notifications] util-linux logger is absent: the system-log sink is left out of these tests');

interface Event {
  [key: string]: unknown;
  type: string;
  certificateId: string;
  eventId: string;
  error: { code: string } | null;
  thresholdSeconds: number | null;
  secondsLeft: number | null;
}

interface Sinks {
  trusted: WebhookReceiver;
  untrusted: WebhookReceiver;
  syslog: SyslogReceiver | null;
  commandLog: string;
}

describe.skipIf(!hasOpenssl || process.platform === 'win32')('notifications (lab, HTTPS webhook, command, syslog)', () => {
  const env = useAgentLab();
  let sinks: Sinks;
  const vars = (): NodeJS.ProcessEnv => ({ ...env.vars, PFX_PASSWORD: PFX_CANARY });

  beforeAll(async () => {
    const labPki = join(env.work, 'lab', 'pki');
    const trusted = await startWebhookReceiver({ certPem: readFileSync(join(labPki, 'tls-server.pem'), 'utf8'), keyPem: readFileSync(join(labPki, 'tls-server.key'), 'utf8') });
    const untrusted = await startWebhookReceiver(createTestPki().server);
    const syslog = hasLogger ? await startSyslogReceiver(join(env.work, 'syslog.sock')) : null;
    writeFileSync(join(env.work, 'recorder.mjs'), RECORDER_SCRIPT);
    sinks = { trusted, untrusted, syslog, commandLog: join(env.work, 'command.jsonl') };
  });
  afterAll(async () => {
    await sinks?.trusted.close();
    await sinks?.untrusted.close();
    await sinks?.syslog?.close();
  });

  /** The lab config plus notifications to every sink; each test gets its own command log. */
  function writeConfig(name: string, certificate: { id: string; template: string }, notifications: Record<string, unknown> = {}): { config: string; commandLog: string } {
    const config = env.writeConfig(name, [certificate]);
    const doc = parse(readFileSync(config, 'utf8')) as { certificates: Array<{ output: Record<string, unknown> }>; notifications?: unknown };
    doc.certificates[0]!.output.pfx = { path: `./out/${certificate.id}.pfx`, password: { env: 'PFX_PASSWORD' } };
    const commandLog = join(dirname(config), 'command.jsonl');
    doc.notifications = {
      // One-shot commands try each sink once per run (the next retry is due after their bounded wait).
      retry: { initial: '5m', max: '1h' },
      ...notifications,
      sinks: [
        { name: 'hook', command: [process.execPath, join(env.work, 'recorder.mjs'), commandLog] },
        { name: 'chat', webhook: { url: sinks.trusted.url, timeout: '5s' } },
        { name: 'untrusted', webhook: { url: sinks.untrusted.url, timeout: '5s' } },
        ...(sinks.syslog ? [{ name: 'journal', systemLog: { mode: 'syslog', socket: sinks.syslog.path } }] : []),
      ],
    };
    writeFileSync(config, stringify(doc));
    return { config, commandLog };
  }

  const commandEvents = (file: string): Array<{ env: Record<string, string>; stdin: string; event: Event }> =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const entry = JSON.parse(line) as { env: Record<string, string>; stdin: string };
            return { ...entry, event: JSON.parse(entry.stdin) as Event };
          })
      : [];
  const forCert = (events: Array<Record<string, unknown>>, id: string): Event[] => (events as Event[]).filter((e) => e.certificateId === id);
  const types = (events: Event[]): string[] => events.map((e) => e.type);
  const syslogTypes = (id: string): string[] =>
    (sinks.syslog?.lines ?? []).filter((l) => l.includes(` id=${id} `)).map((l) => /event=([a-z-]+)/.exec(l)?.[1] ?? '?');

  function expectNoSecrets(commandLog: string): void {
    const outbox = join(dirname(commandLog), 'state/notifications.json');
    const everything = [readFileSync(commandLog, 'utf8'), readFileSync(outbox, 'utf8'), JSON.stringify(sinks.trusted.received), (sinks.syslog?.lines ?? []).join('\n')].join('\n');
    expect(everything.length).toBeGreaterThan(100);
    for (const secret of [env.password, PFX_CANARY]) expect(everything).not.toContain(secret);
  }

  it('a CES failing over 10 passes: one renewal-failing per sink, then recovered; the untrusted receiver gets nothing', async () => {
    const id = 'failing';
    const { config, commandLog } = writeConfig('notify-failing', { id, template: 'TestInstant' });
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars());
    expect(enrolled.code, enrolled.err).toBe(0);

    // Every CES answers with an IIS error page: the endpoints are unusable, the service would retry.
    await env.lab.setFault(CES_CERTIFICATE, { kind: 'http500' });
    await env.lab.setFault(CES_USERNAME, { kind: 'http500' });
    try {
      for (let pass = 1; pass <= 10; pass++) {
        const renewed = await cli(['--config', config, '--json', 'renew', '--force'], vars());
        expect(renewed.code, renewed.err).toBe(3);
        expect(passResult(renewed.out).certificates[0]).toMatchObject({ outcome: 'failed' });
      }
    } finally {
      await env.lab.setFault(CES_CERTIFICATE, null);
      await env.lab.setFault(CES_USERNAME, null);
    }
    const healed = await cli(['--config', config, '--json', 'renew', '--force'], vars());
    expect(healed.code, healed.err).toBe(0);
    expect(passResult(healed.out).certificates[0]).toMatchObject({ outcome: 'issued', generation: 2 });

    const expected = ['installed', 'renewal-failing', 'installed', 'recovered'];
    const fromCommand = commandEvents(commandLog);
    expect(types(fromCommand.map((e) => e.event))).toEqual(expected);
    expect(types(forCert(sinks.trusted.received, id))).toEqual(expected);
    if (sinks.syslog) expect(syslogTypes(id)).toEqual(expected);

    const failing = fromCommand[1]!;
    expect(failing.event).toMatchObject({ type: 'renewal-failing', certificateId: id, consecutiveFailures: 1, error: { code: expect.any(String) } });
    expect(failing.env).toMatchObject({ AUTOENROLL_EVENT: 'renewal-failing', AUTOENROLL_ID: id, AUTOENROLL_EVENT_ID: failing.event.eventId, AUTOENROLL_ERROR_CODE: failing.event.error?.code });
    // The same event (same eventId) reached every sink.
    expect(forCert(sinks.trusted.received, id).map((e) => e.eventId)).toEqual(fromCommand.map((e) => e.event.eventId));

    // Verification on: the receiver with an untrusted certificate saw handshakes fail, never a request.
    expect(sinks.untrusted.received).toEqual([]);
    expect(sinks.untrusted.tlsErrors).toBeGreaterThan(0);
    const outbox = JSON.parse(readFileSync(join(dirname(config), 'state/notifications.json'), 'utf8')) as { queues: Record<string, Array<{ attempts: number; lastError: string }>> };
    expect(outbox.queues.untrusted!.length).toBe(4);
    expect(outbox.queues.untrusted![0]!.lastError).toMatch(/certificate/i);
    expect(outbox.queues.chat).toEqual([]);
    expect(outbox.queues.hook).toEqual([]);
    expectNoSecrets(commandLog);
  }, 240_000);

  it('a one-shot command waits for a stalling receiver only for its bound; the event stays queued and goes out later', async () => {
    const id = 'stalled';
    const { config } = writeConfig('notify-stall', { id, template: 'TestInstant' });
    // A webhook timeout longer than the command's bound: the bound is what ends the wait.
    writeFileSync(config, readFileSync(config, 'utf8').replace(/timeout: 5s/, 'timeout: 60s'));
    sinks.trusted.mode = 'stall';
    const before = sinks.trusted.received.length;
    try {
      const started = Date.now();
      const enrolled = await cli(['--config', config, '--json', 'enroll'], vars());
      const tookMs = Date.now() - started;
      expect(enrolled.code, enrolled.err).toBe(0);
      expect(tookMs).toBeGreaterThanOrEqual(14_000);
      expect(tookMs).toBeLessThan(30_000);
      expect(sinks.trusted.received.length).toBe(before + 1);
      const outbox = JSON.parse(readFileSync(join(dirname(config), 'state/notifications.json'), 'utf8')) as { queues: Record<string, Array<{ event: Event }>> };
      expect(outbox.queues.chat!.map((i) => i.event.type)).toEqual(['installed']);
      console.log(`[notifications] enroll with a stalling webhook took ${tookMs} ms`);
    } finally {
      sinks.trusted.mode = 'ok';
    }
    // The next command finds the claim of a process that is gone and delivers the event again.
    const again = await cli(['--config', config, '--json', 'retrieve'], vars());
    expect(again.code, again.err).toBe(0);
    const stalled = forCert(sinks.trusted.received.slice(before), id);
    expect(stalled.map((e) => e.type)).toEqual(['installed', 'installed']);
    expect(stalled[0]!.eventId).toBe(stalled[1]!.eventId);
  }, 90_000);

  it('an expired certificate: expired, then installed + recovered by re-enrollment; a template the policy lacks: needs-attention', async () => {
    const id = 'brief';
    const { config, commandLog } = writeConfig('notify-expired', { id, template: 'TestShort' });
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars());
    expect(enrolled.code, enrolled.err).toBe(0);
    const notAfter = Date.parse(passResult(enrolled.out).certificates[0]!.notAfter!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - Date.now()) + 1100));
    const renewed = await cli(['--config', config, '--json', 'renew'], vars());
    expect(renewed.code, renewed.err).toBe(7);
    const again = await cli(['--config', config, '--json', 'renew'], vars());
    expect(again.code, again.err).toBe(7);
    const recovered = await cli(['--config', config, '--json', 'enroll'], vars());
    expect(recovered.code, recovered.err).toBe(0);
    const events = commandEvents(commandLog).map((e) => e.event);
    // A 5 s certificate: the 7 d and 1 d thresholds are longer than its life, so no `expiring`.
    expect(types(events)).toEqual(['installed', 'expired', 'installed', 'recovered']);
    expect(events[1]).toMatchObject({ status: 'EXPIRED', thumbprint: events[0]!.thumbprint });
    expect(types(forCert(sinks.trusted.received, id))).toEqual(['installed', 'expired', 'installed', 'recovered']);

    const missing = writeConfig('notify-attention', { id: 'lost', template: 'NoSuchTemplate' });
    const attention = await cli(['--config', missing.config, '--json', 'enroll'], vars());
    expect(attention.code).toBe(4);
    expect(passResult(attention.out).certificates[0]).toMatchObject({ status: 'NEEDS_ATTENTION' });
    expect((await cli(['--config', missing.config, '--json', 'enroll'], vars())).code).toBe(4);
    expect(types(commandEvents(missing.commandLog).map((e) => e.event))).toEqual(['needs-attention']);
    expectNoSecrets(commandLog);
  }, 90_000);

  it('a pending request: pending-approval with RequestID, CA and age; installed once approved', async () => {
    const id = 'waiting';
    const { config, commandLog } = writeConfig('notify-pending', { id, template: 'TestPending' });
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars());
    expect(enrolled.code, enrolled.err).toBe(5);
    const requestId = passResult(enrolled.out).certificates[0]!.requestId!;
    const again = await cli(['--config', config, '--json', 'retrieve'], vars());
    expect(again.code, again.err).toBe(5);
    await env.lab.approve(requestId);
    const retrieved = await cli(['--config', config, '--json', 'retrieve'], vars());
    expect(retrieved.code, retrieved.err).toBe(0);

    const events = commandEvents(commandLog).map((e) => e.event);
    expect(types(events)).toEqual(['pending-approval', 'installed']);
    expect(events[0]).toMatchObject({ status: 'PENDING', pending: { requestId, ca: expect.any(String), endpoint: expect.stringContaining('https://'), ageSeconds: expect.any(Number) } });
    expect(types(forCert(sinks.trusted.received, id))).toEqual(['pending-approval', 'installed']);
    if (sinks.syslog) expect(syslogTypes(id)).toEqual(['pending-approval', 'installed']);
    expectNoSecrets(commandLog);
  }, 120_000);

  it('a short-lived certificate crossing the thresholds: one expiring per threshold', async () => {
    const id = 'shortlived';
    const { config, commandLog } = writeConfig('notify-expiring', { id, template: 'TestKBR' }, { expiringBefore: ['110s', '95s'] });
    // TestKBR pends its first enrollment: approved at once, retrieved, then 120 s of validity.
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars());
    expect(enrolled.code, enrolled.err).toBe(5);
    await env.lab.approve(passResult(enrolled.out).certificates[0]!.requestId!);
    const retrieved = await cli(['--config', config, '--json', 'retrieve'], vars());
    expect(retrieved.code, retrieved.err).toBe(0);
    const notAfter = Date.parse(passResult(retrieved.out).certificates[0]!.notAfter!);
    const waitUntilLeft = async (seconds: number): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - seconds * 1000 - Date.now())));
    };
    // Nothing pending: `retrieve` is a pass that leaves the certificate alone (its window opens 40 s before notAfter).
    const pass = async (): Promise<void> => {
      const r = await cli(['--config', config, '--json', 'retrieve'], vars());
      expect(r.code, r.err).toBe(0);
    };
    await pass();
    await waitUntilLeft(108);
    await pass();
    await pass();
    await waitUntilLeft(93);
    await pass();

    const events = commandEvents(commandLog).map((e) => e.event);
    const expected = ['pending-approval', 'installed', 'expiring', 'expiring'];
    expect(types(events)).toEqual(expected);
    expect(events.slice(2).map((e) => e.thresholdSeconds)).toEqual([110, 95]);
    expect(events[2]!.secondsLeft).toBeLessThanOrEqual(110);
    expect(types(forCert(sinks.trusted.received, id))).toEqual(expected);
    if (sinks.syslog) expect(syslogTypes(id)).toEqual(expected);
    expectNoSecrets(commandLog);
  }, 120_000);
});
