// The wiring on its own: a pass's rows in, each sink's filter applied, delivery afterwards, and
// nothing repeated by the next pass with the same facts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import { causeKey } from '../../src/daemon/certificateFacts.js';
import { createNotifications } from '../../src/daemon/notifications.js';
import { readOutbox } from '../../src/daemon/notificationOutbox.js';
import type { CertificateResult, PassResult } from '../../src/engine/agentTypes.js';
import { silentLogger } from '../../src/log/logger.js';
import { openStore } from '../../src/store/index.js';
import { RECORDER_SCRIPT } from './helpers/syslogReceiver.js';

const row = (over: Partial<CertificateResult>): CertificateResult => ({
  id: 'web',
  action: 'renew',
  planned: 'renew/in-window',
  outcome: 'failed',
  status: 'BACKING_OFF',
  error: { code: 'UNREACHABLE', message: 'every endpoint failed' },
  generation: 1,
  thumbprint: 'AA',
  previousThumbprint: null,
  serial: '01',
  notAfter: new Date(Date.now() + 90 * 86400_000).toISOString(),
  requestId: null,
  endpoint: null,
  nextEventAt: null,
  renewAt: null,
  outputs: [],
  warnings: [],
  ...over,
});
const pass = (rows: CertificateResult[]): PassResult =>
  ({ operation: 'scheduled', startedAt: '', finishedAt: '', exitCode: 0, policy: {} as PassResult['policy'], certificates: rows, nextWakeAt: '' }) as PassResult;

describe.skipIf(process.platform === 'win32')('notifications wiring', () => {
  it('queues each event for the sinks whose filter passes it, delivers, and does not repeat unchanged facts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-notify-'));
    writeFileSync(join(dir, 'recorder.mjs'), RECORDER_SCRIPT);
    const file = join(dir, 'config.yaml');
    const text = `stateDir: ./state
policyServers:
  - { url: https://cep.example.com/CEP, auth: certificate }
certificates:
  - { id: web, template: T }
  - { id: api, template: T }
notifications:
  sinks:
    - { name: all, command: ["${process.execPath}", "${join(dir, 'recorder.mjs')}", "${join(dir, 'all.jsonl')}"] }
    - { name: healed, command: ["${process.execPath}", "${join(dir, 'recorder.mjs')}", "${join(dir, 'healed.jsonl')}"], events: [recovered] }
`;
    writeFileSync(file, text);
    const config = parseConfig(text, file, { platform: 'linux' });
    const notifications = createNotifications({ config, store: openStore(config.stateDir), logger: silentLogger, host: 'ws01' });
    expect(notifications.enabled).toBe(true);

    const first = await notifications.afterPass(pass([row({}), row({ id: 'api', outcome: 'nothing-due', status: 'VALID', error: null })]));
    expect(first.map((e) => [e.type, e.certificateId])).toEqual([['renewal-failing', 'web']]);
    expect(await notifications.afterPass(pass([row({})]))).toEqual([]);
    const healed = await notifications.afterPass(pass([row({ outcome: 'issued', status: 'VALID', error: null, thumbprint: 'BB', previousThumbprint: 'AA', generation: 2 })]));
    expect(healed.map((e) => e.type)).toEqual(['installed', 'recovered']);
    const outbox = await readOutbox(config.stateDir);
    expect(outbox.queues.all!.map((i) => i.event.type)).toEqual(['renewal-failing', 'installed', 'recovered']);
    expect(outbox.queues.healed!.map((i) => i.event.type)).toEqual(['recovered']);

    expect(await notifications.deliver({ untilMs: Date.now() + 20_000 })).toEqual({ delivered: 4, failed: 0 });
    const lines = (name: string) => readFileSync(join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse((JSON.parse(l) as { stdin: string }).stdin) as { type: string; host: string });
    expect(lines('all').map((e) => e.type)).toEqual(['renewal-failing', 'installed', 'recovered']);
    expect(lines('healed').map((e) => e.type)).toEqual(['recovered']);
    expect(lines('all')[0]!.host).toBe('ws01');
    const after = await readOutbox(config.stateDir);
    expect(after.queues).toEqual({ all: [], healed: [] });
    expect(Object.keys(after.memory).sort()).toEqual(['api', 'web']);

    // A certificate removed from the configuration is forgotten at the next pass.
    const fewer = parseConfig(text.replace('  - { id: api, template: T }\n', ''), file, { platform: 'linux' });
    await createNotifications({ config: fewer, store: openStore(fewer.stateDir), logger: silentLogger }).afterPass(pass([row({ status: 'VALID', outcome: 'nothing-due', error: null, thumbprint: 'BB' })]));
    expect(Object.keys((await readOutbox(config.stateDir)).memory)).toEqual(['web']);
  }, 30_000);

  it('the cause of a failover error does not depend on the order the endpoints were tried in', () => {
    const attempts = (codes: string[]) => codes.map((code, i) => ({ url: `https://ces${i}/CES`, code, message: code }));
    const a = causeKey({ code: 'CONNECTION_RESET', message: 'x', attempts: attempts(['TLS_CLIENT_CERT_REJECTED', 'CONNECTION_RESET']) });
    const b = causeKey({ code: 'TLS_CLIENT_CERT_REJECTED', message: 'x', attempts: attempts(['CONNECTION_RESET', 'TLS_CLIENT_CERT_REJECTED']) });
    expect(a).toBe('endpoints:CONNECTION_RESET,TLS_CLIENT_CERT_REJECTED');
    expect(b).toBe(a);
    expect(causeKey({ code: 'DENIED', message: 'x' })).toBe('DENIED');
  });

  it('without sinks nothing is derived, written or sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-notify-'));
    const text = 'stateDir: ./state\npolicyServers:\n  - { url: https://cep.example.com/CEP, auth: certificate }\ncertificates:\n  - { id: web, template: T }\n';
    const config = parseConfig(text, join(dir, 'config.yaml'), { platform: 'linux' });
    const notifications = createNotifications({ config, store: openStore(config.stateDir), logger: silentLogger });
    expect(notifications.enabled).toBe(false);
    expect(await notifications.afterPass(pass([row({})]))).toEqual([]);
    expect(await notifications.deliver({ untilMs: Date.now() })).toEqual({ delivered: 0, failed: 0 });
    expect((await readOutbox(config.stateDir)).queues).toEqual({});
  });
});
