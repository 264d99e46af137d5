import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import { NOTIFICATION_EVENTS } from '../../src/engine/notificationEvents.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/etc/autoenroll/config.yaml';
const base = `policyServers:
  - url: https://cep.example.com/CEP
    auth: username
    username: enroll
    password: { env: PW }
`;
const parse = (text: string) => parseConfig(base + text, FILE, { platform: 'linux' });
function errorOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('notifications configuration', () => {
  it('is off without the section: no sinks, default thresholds (7 d, 1 d), daily repeats', () => {
    expect(parse('').notifications).toEqual({ sinks: [], expiringBeforeMs: [7 * 86400_000, 86400_000], repeatMs: 86400_000, retryInitialMs: 30_000, retryMaxMs: 3600_000 });
  });

  it('reads every kind of sink, with filters, names and resolved paths', () => {
    const config = parse(`notifications:
  expiringBefore: [1d, 14d, 3d]
  repeat: 12h
  retry: { initial: 10s, max: 30m }
  sinks:
    - name: pager
      command: ["/usr/local/bin/page", "--team", "pki ops"]
      timeout: 5s
      events: [renewal-failing, expired, needs-attention]
    - command: /usr/local/bin/notify --quiet 'two words'
    - name: chat
      webhook: { url: "https://chat.example.com/hooks/T0K3N", caFile: ./chat-ca.pem, timeout: 3s }
    - systemLog: { mode: syslog, socket: /run/log.sock, facility: local3, tag: pki }
    - systemLog: {}
`);
    const n = config.notifications;
    expect(n.expiringBeforeMs).toEqual([14, 3, 1].map((d) => d * 86400_000));
    expect(n).toMatchObject({ repeatMs: 12 * 3600_000, retryInitialMs: 10_000, retryMaxMs: 1800_000 });
    expect(n.sinks).toEqual([
      { name: 'pager', events: ['renewal-failing', 'expired', 'needs-attention'], sink: { kind: 'command', argv: ['/usr/local/bin/page', '--team', 'pki ops'], timeoutMs: 5000 } },
      { name: 'command-2', events: [...NOTIFICATION_EVENTS], sink: { kind: 'command', argv: ['/usr/local/bin/notify', '--quiet', 'two words'], timeoutMs: 30_000 } },
      { name: 'chat', events: [...NOTIFICATION_EVENTS], sink: { kind: 'webhook', url: 'https://chat.example.com/hooks/T0K3N', caFile: '/etc/autoenroll/chat-ca.pem', timeoutMs: 3000 } },
      { name: 'systemLog-4', events: [...NOTIFICATION_EVENTS], sink: { kind: 'systemLog', mode: 'syslog', socket: '/run/log.sock', facility: 'local3', tag: 'pki' } },
      { name: 'systemLog-5', events: [...NOTIFICATION_EVENTS], sink: { kind: 'systemLog', mode: 'auto', facility: 'daemon', tag: 'autoenroll' } },
    ]);
  });

  it('refuses what cannot work, naming the line and key', () => {
    const both = errorOf(`notifications:
  sinks:
    - command: /bin/true
      webhook: { url: https://x.example.com/ }
`);
    expect(both.message).toContain('exactly one of "command", "webhook" or "systemLog", got command and webhook');
    expect(both).toMatchObject({ key: 'notifications.sinks[0]', line: 8 });
    expect(errorOf('notifications:\n  sinks:\n    - events: [expired]\n').message).toContain('got none');
    expect(errorOf('notifications:\n  sinks:\n    - webhook: { url: http://x.example.com/ }\n').message).toContain('https://');
    expect(errorOf('notifications:\n  sinks:\n    - command: /bin/true\n      events: [exploded]\n').message).toContain('expected one of renewal-failing');
    expect(errorOf('notifications:\n  sinks:\n    - { name: a, command: /bin/true }\n    - { name: a, command: /bin/false }\n').message).toContain('duplicate sink name "a"');
    expect(errorOf('notifications:\n  sinks:\n    - command: "/bin/echo \'open"\n').message).toContain('unterminated');
    expect(errorOf('notifications:\n  sinks:\n    - webhook: { url: https://x.example.com/ }\n      timeout: 3s\n').message).toContain('webhook.timeout');
    expect(errorOf('notifications:\n  sinks:\n    - systemLog: { mode: kafka }\n').message).toContain('"auto", "journald" or "syslog"');
    expect(errorOf('notifications:\n  repeat: 10s\n').message).toContain('at least 1m');
    expect(errorOf('notifications:\n  sinkz: []\n').message).toContain('unknown key "sinkz"');
  });
});
