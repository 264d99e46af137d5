import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/errors.js';
import { hostFacts, resolvConfDomain } from '../../src/engine/hostFacts.js';

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

describe('the autoenroll section', () => {
  it('is absent unless written', () => {
    expect(parse('').autoenroll).toBeUndefined();
  });

  it('has the documented defaults: CN={fqdn}, dns [{fqdn}], outputs in ./certs beside the file', () => {
    expect(parse('autoenroll: {}\n').autoenroll).toEqual({
      enabled: true,
      allow: [],
      deny: [],
      defaults: { subject: 'CN={fqdn}', dns: ['{fqdn}'], ip: [], upn: [], email: [] },
      perTemplate: {},
      reuseKey: false,
      outputDir: '/etc/autoenroll/certs',
      outputMode: 0o644,
      hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
    });
  });

  it('reads lists, per-template settings, keys, hooks and the pinned fqdn', () => {
    const auto = parse(`autoenroll:
  enabled: false
  templates: { allow: "Contoso*", deny: [ContosoUser] }
  subject: CN={hostname}
  dns: ["{fqdn}", "{hostname}"]
  key: { algorithm: EC, size: 384 }
  outputDir: /srv/certs
  outputMode: "0640"
  hooks: { deploy: "systemctl reload nginx" }
  fqdn: ws01.contoso.com
  perTemplate:
    ContosoWeb: { dns: ["www.contoso.com"], key: { algorithm: RSA, size: 3072 } }
`).autoenroll;
    expect(auto).toMatchObject({
      enabled: false,
      allow: ['Contoso*'],
      deny: ['ContosoUser'],
      defaults: { subject: 'CN={hostname}', dns: ['{fqdn}', '{hostname}'], key: { algorithm: 'EC', curve: 'P-384' } },
      perTemplate: { ContosoWeb: { dns: ['www.contoso.com'], key: { algorithm: 'RSA', size: 3072 } } },
      outputDir: '/srv/certs',
      outputMode: 0o640,
      hooks: { deploy: ['systemctl reload nginx'] },
      fqdn: 'ws01.contoso.com',
    });
  });

  it('refuses unknown placeholders and keys, naming the line and key', () => {
    const placeholder = errorOf('autoenroll:\n  subject: CN={domain}\n');
    expect(placeholder.message).toContain('unknown placeholder {domain} (known: {fqdn}, {hostname}, {template})');
    expect(placeholder).toMatchObject({ line: 7, key: 'autoenroll.subject' });
    expect(errorOf('autoenroll:\n  perTemplate:\n    Web: { dns: ["{host}"] }\n').message).toContain('unknown placeholder {host}');
    expect(errorOf('autoenroll:\n  outputdir: ./x\n').message).toContain('unknown key "outputdir"');
    expect(errorOf('autoenroll:\n  fqdn: "bad name"\n').message).toContain('expected a DNS name');
  });
});

describe('host facts for {fqdn} and {hostname}', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostfacts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const resolv = (text: string): string => {
    const file = path.join(dir, `resolv-${Math.random()}`);
    writeFileSync(file, text);
    return file;
  };

  it('a pinned name wins; a dotted host name is the fqdn; else the resolv.conf domain is appended', () => {
    expect(hostFacts('WS01.Contoso.com', 'other')).toEqual({ fqdn: 'ws01.contoso.com', hostname: 'ws01' });
    expect(hostFacts(undefined, 'ws02.lab.test', resolv('domain ignored.test\n'))).toEqual({ fqdn: 'ws02.lab.test', hostname: 'ws02' });
    expect(hostFacts(undefined, 'ws03', resolv('nameserver 10.0.0.1\nsearch corp.example. other.example\n'))).toEqual({ fqdn: 'ws03.corp.example', hostname: 'ws03' });
    expect(hostFacts(undefined, 'ws04', path.join(dir, 'missing'))).toEqual({ fqdn: 'ws04', hostname: 'ws04' });
  });

  it('reads domain before search', () => {
    expect(resolvConfDomain('search a.test\ndomain b.test\n')).toBe('b.test');
    expect(resolvConfDomain('# nothing\n')).toBeUndefined();
  });
});
