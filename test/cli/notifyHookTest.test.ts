// `autoenroll notify test` sends a sample through every sink (a trusted HTTPS receiver, an
// untrusted one, a command) and reports each; `autoenroll hook test` runs the deploy hook with the
// documented environment and renews nothing (the lab's request log is the witness).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RECORDER_SCRIPT } from '../daemon/helpers/syslogReceiver.js';
import { startWebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import type { WebhookReceiver } from '../daemon/helpers/webhookReceiver.js';
import { cli, useAgentLab } from '../e2e/agentLab.js';
import { hasOpenssl } from '../helpers/tools.js';
import { createTestPki } from '../transport/helpers/testPki.js';

describe.skipIf(!hasOpenssl || process.platform === 'win32')('notify test and hook test', () => {
  const env = useAgentLab();
  let trusted: WebhookReceiver;
  let untrusted: WebhookReceiver;
  beforeAll(async () => {
    const pki = join(env.work, 'lab', 'pki');
    trusted = await startWebhookReceiver({ certPem: readFileSync(join(pki, 'tls-server.pem'), 'utf8'), keyPem: readFileSync(join(pki, 'tls-server.key'), 'utf8') });
    untrusted = await startWebhookReceiver(createTestPki().server);
    writeFileSync(join(env.work, 'recorder.mjs'), RECORDER_SCRIPT);
  });
  afterAll(async () => {
    await trusted?.close();
    await untrusted?.close();
  });

  function withNotifications(config: string, sinks: unknown[]): string {
    const doc = parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    doc.notifications = { sinks };
    writeFileSync(config, stringify(doc));
    return join(dirname(config), 'command.jsonl');
  }

  it('notify test: every sink gets the sample at once; a failing sink is named and makes the exit code 3', async () => {
    const config = env.writeConfig('notify-test', [{ id: 'web', template: 'TestInstant', outputs: false }]);
    const log = join(dirname(config), 'command.jsonl');
    withNotifications(config, [
      { name: 'hook', command: [process.execPath, join(env.work, 'recorder.mjs'), log], events: ['expired'] },
      { name: 'chat', webhook: { url: trusted.url, timeout: '5s' } },
    ]);
    const ok = await cli(['--config', config, 'notify', 'test', '--event', 'pending-approval'], env.vars);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^hook \(command\): delivered pending-approval in \d+ ms \(its events filter would not pass pending-approval in real use\)$/m);
    expect(ok.out).toMatch(/^chat \(webhook\): delivered pending-approval/m);
    expect(trusted.received.at(-1)).toMatchObject({ type: 'pending-approval', certificateId: 'web', test: true, pending: { requestId: '0' } });
    const recorded = JSON.parse(readFileSync(log, 'utf8').trim()) as { env: Record<string, string>; stdin: string };
    expect(recorded.env).toMatchObject({ AUTOENROLL_EVENT: 'pending-approval', AUTOENROLL_ID: 'web', AUTOENROLL_REQUEST_ID: '0' });
    expect(JSON.parse(recorded.stdin)).toMatchObject({ type: 'pending-approval', test: true });
    // Nothing was queued: a test is sent once, not retried later.
    expect(existsSync(join(dirname(config), 'state/notifications.json'))).toBe(false);

    withNotifications(config, [
      { name: 'chat', webhook: { url: trusted.url, timeout: '5s' } },
      { name: 'bad', webhook: { url: untrusted.url, timeout: '5s' } },
    ]);
    const before = untrusted.received.length;
    const failed = await cli(['--config', config, '--json', 'notify', 'test'], env.vars);
    expect(failed.code, failed.err).toBe(3);
    const report = JSON.parse(failed.out) as { event: { type: string }; sinks: Array<{ sink: string; ok: boolean; error: string | null }> };
    expect(report.event.type).toBe('renewal-failing');
    expect(report.sinks.find((s) => s.sink === 'chat')).toMatchObject({ ok: true });
    expect(report.sinks.find((s) => s.sink === 'bad')).toMatchObject({ ok: false, error: expect.stringMatching(/certificate/i) });
    expect(untrusted.received.length).toBe(before);

    const unknown = await cli(['--config', config, 'notify', 'test', '--event', 'exploded'], env.vars);
    expect(unknown.code).toBe(4);
    expect(unknown.err).toContain('--event expects one of');
  }, 60_000);

  it('hook test: runs the deploy hook with the documented environment and sends nothing to the CA', async () => {
    const hookLog = join(env.work, 'deploy.jsonl');
    const config = env.writeConfig('hook-test', [{ id: 'app', template: 'TestInstant', deploy: [`${process.execPath} ${join(env.work, 'recorder.mjs')} ${hookLog}`] }]);
    const noCert = await cli(['--config', config, 'hook', 'test', '--id', 'app'], env.vars);
    expect(noCert.code).toBe(4);
    expect(noCert.err).toContain('autoenroll enroll --id app');

    const enrolled = await cli(['--config', config, 'enroll'], env.vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    const fromEnroll = readFileSync(hookLog, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { env: Record<string, string> }).env);
    const requests = env.lab.requestLog().length;

    const tested = await cli(['--config', config, '--json', 'hook', 'test', '--id', 'app'], env.vars);
    expect(tested.code, tested.err).toBe(0);
    expect(env.lab.requestLog().length).toBe(requests);
    const runs = readFileSync(hookLog, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { env: Record<string, string> }).env);
    expect(runs).toHaveLength(2);
    // The same variables a real installation gave the hook.
    expect(runs[1]).toEqual(fromEnroll[0]);
    expect(runs[1]).toMatchObject({ AUTOENROLL_EVENT: 'deploy', AUTOENROLL_ID: 'app', AUTOENROLL_GENERATION: '1', AUTOENROLL_CERT: join(dirname(config), 'out/app.pem') });
    expect(JSON.parse(tested.out)).toMatchObject({ id: 'app', generation: 1, ok: true });

    writeFileSync(join(env.work, 'fail.mjs'), 'process.exit(3)\n');
    const failing = env.writeConfig('hook-test-fail', [{ id: 'app', template: 'TestInstant', deploy: [`${process.execPath} ${join(env.work, 'fail.mjs')}`] }]);
    expect((await cli(['--config', failing, 'enroll'], env.vars)).code).toBe(6);
    const failed = await cli(['--config', failing, 'hook', 'test', '--id', 'app'], env.vars);
    expect(failed.code).toBe(6);
    expect(failed.out).toContain('exited with status 3');
  }, 60_000);
});
