import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/errors.js';

const fixtures = path.resolve(__dirname, '../../fixtures/config');
const FILE = '/etc/autoenroll/config.yaml';

const base = `policyServers:
  - url: https://cep.example.com/CEP
    auth: username
    username: enroll
    password: { env: PW }
`;

function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, FILE, { platform: 'linux' });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads every field of the documented example, with units and absolute paths', async () => {
    const config = await loadConfig(path.join(fixtures, 'example.yaml'));
    expect(config.file).toBe(path.join(fixtures, 'example.yaml'));
    expect(config.stateDir).toBe(path.join(fixtures, 'state'));
    expect(config.trust.caFile).toBe(path.join(fixtures, 'lab/root-ca.pem'));
    expect(config.policyServers.map((s) => [s.auth, s.priority])).toEqual([
      ['certificate', 1],
      ['username', 10],
    ]);
    expect(config.policyServers[1]?.username).toBe('CONTOSO\\enroll');
    expect(config.policyServers[1]?.password).toEqual({ env: 'AUTOENROLL_PASSWORD' });
    const cert = config.certificates[0];
    expect(cert).toMatchObject({
      id: 'machine',
      template: 'KBRComputer',
      subject: 'CN=ws01.contoso.com',
      dns: ['ws01.contoso.com'],
      key: { algorithm: 'RSA', size: 2048 },
      reuseKey: false,
      minRenewalFraction: 0.5,
      hooks: { deploy: ['systemctl reload nginx'], failure: [], timeoutMs: 60_000, shell: false },
    });
    expect(cert?.output).toEqual({
      cert: path.join(fixtures, 'out/machine.pem'),
      key: path.join(fixtures, 'out/machine.key'),
      chain: path.join(fixtures, 'out/chain.pem'),
      pfx: { path: path.join(fixtures, 'out/machine.pfx'), password: { env: 'PFX_PASSWORD' } },
      mode: 0o644,
    });
    expect(config.schedule).toEqual({ intervalMs: 8 * 3600_000, jitterMs: 600_000 });
    expect(config.transport).toEqual({ connectTimeoutMs: 10_000, requestTimeoutMs: 30_000, proxy: 'http://proxy:3128' });
  });

  it('fills defaults and resolves a file secret against the config folder', async () => {
    const config = await loadConfig(path.join(fixtures, 'minimal.yaml'), { platform: 'linux' });
    expect(config.stateDir).toBe('/var/lib/autoenroll');
    expect(config.trust).toEqual({});
    expect(config.policyServers[0]?.priority).toBe(10);
    expect(config.policyServers[0]?.password).toEqual({ file: path.join(fixtures, 'enroll.secret') });
    expect(config.schedule).toEqual({ intervalMs: 28_800_000, jitterMs: 600_000 });
    expect(config.transport).toEqual({ connectTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    expect(config.pendingMaxAgeMs).toBe(60 * 86_400_000);
    expect(config.logging).toEqual({ format: 'auto' });
    expect(config.certificates[0]).toEqual({
      id: 'web',
      template: 'WebServer',
      dns: [],
      ip: [],
      upn: [],
      email: [],
      reuseKey: false,
      minRenewalFraction: 0.5,
      hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
    });
  });

  it('uses the OS default state folder per platform', () => {
    expect(parseConfig(base, FILE, { platform: 'win32', env: { ProgramData: 'D:\\PD' } }).stateDir).toBe('D:\\PD\\autoenroll\\state');
    expect(parseConfig(base, FILE, { platform: 'darwin' }).stateDir).toBe('/Library/Application Support/autoenroll/state');
  });

  it('does not expand ~ (it is a folder name like any other)', () => {
    expect(parseConfig(`${base}stateDir: ~/state\n`, FILE).stateDir).toBe('/etc/autoenroll/~/state');
  });

  it('sorts policy servers by priority, keeping file order on ties', () => {
    const config = parseConfig(
      `policyServers:
  - { url: https://a.example/CEP, auth: certificate, priority: 5 }
  - { url: https://b.example/CEP, auth: certificate }
  - { url: https://c.example/CEP, auth: certificate, priority: 5 }
`,
      FILE,
    );
    expect(config.policyServers.map((s) => s.url)).toEqual(['https://a.example/CEP', 'https://c.example/CEP', 'https://b.example/CEP']);
  });

  it('names file, line and key path of an unknown key', () => {
    const error = errorOf(`${base}certificates:\n  - id: a\n    template: T\n    key: { algorithm: RSA, sise: 2048 }\n`);
    expect(error.line).toBe(9);
    expect(error.key).toBe('certificates[0].key.sise');
    expect(error.message).toBe(`${FILE}: line 9: certificates[0].key.sise: unknown key "sise" (check the spelling; unknown keys are not ignored)`);
    expect(error.exitCode).toBe(4);
  });

  it('names the key path of a wrong type', () => {
    const error = errorOf(`${base}certificates:\n  - id: a\n    template: T\n    key:\n      algorithm: RSA\n      size: big\n`);
    expect(error.key).toBe('certificates[0].key.size');
    expect(error.line).toBe(11);
    expect(error.message).toContain('expected 2048, 3072 or 4096');
  });

  it('reports every problem, the first one in the prefix', () => {
    const error = errorOf(`${base}schedule:\n  interval: 8\n  jitter: soon\n`);
    expect(error.key).toBe('schedule.interval');
    expect(error.message).toContain('expected a duration with a unit');
    expect(error.message).toContain('line 8: schedule.jitter');
  });

  it('names a missing required key at its parent', () => {
    const error = errorOf(`${base}certificates:\n  - id: a\n`);
    expect(error.key).toBe('certificates[0].template');
    expect(error.line).toBe(7);
    expect(error.message).toContain('missing required key "template"');
  });

  it('refuses a plain-text password and shows the alternatives', () => {
    const error = errorOf(base.replace('{ env: PW }', 'hunter2'));
    expect(error.key).toBe('policyServers[0].password');
    expect(error.line).toBe(5);
    expect(error.message).toContain('must not be written in the configuration file');
    expect(error.message).toContain('{ env: VARIABLE }');
    expect(error.message).toContain('{ keyring: NAME }');
    expect(error.message).toContain('{ systemdCredential: NAME }');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses secret references with two sources or none', () => {
    expect(errorOf(base.replace('{ env: PW }', '{ env: PW, file: /x }')).message).toContain('exactly one source, got env and file');
    expect(errorOf(base.replace('{ env: PW }', '{ vault: x }')).message).toContain('unknown secret source "vault"');
    expect(errorOf(base.replace('{ env: PW }', '{ keyring: a/b }')).message).toContain('expects a name, not a path');
  });

  it('requires https', () => {
    expect(errorOf(base.replace('https://cep', 'http://cep')).message).toContain('expected an https:// URL');
  });

  it('reads auth: kerberos with a password, a credential cache, a keytab, or the machine keytab by default', () => {
    const kerberosServer = (lines: string) => `policyServers:\n  - url: https://cep.example.com/CEP\n    auth: kerberos\n${lines}`;
    const password = parseConfig(base.replace('auth: username', 'auth: kerberos'), FILE, { platform: 'linux' }).policyServers[0]!;
    expect(password.kerberos).toEqual({ credential: { kind: 'password', principal: expect.any(String), password: { env: 'PW' } }, delegation: false });
    const byDefault = parseConfig(kerberosServer(''), FILE, { platform: 'linux' }).policyServers[0]!;
    expect(byDefault.kerberos).toEqual({ credential: { kind: 'keytab', keytab: '/etc/krb5.keytab' }, delegation: false });
    const keytab = parseConfig(kerberosServer('    kerberos: { keytab: host.keytab, principal: HOST$, servicePrincipal: HTTP/ces.example.com, delegation: true }\n'), FILE, { platform: 'linux' }).policyServers[0]!;
    expect(keytab.kerberos).toEqual({ credential: { kind: 'keytab', keytab: '/etc/autoenroll/host.keytab', principal: 'HOST$' }, servicePrincipal: 'HTTP/ces.example.com', delegation: true });
    const ccache = parseConfig(kerberosServer('    kerberos: { ccache: /tmp/krb5cc_0 }\n'), FILE, { platform: 'linux' }).policyServers[0]!;
    expect(ccache.kerberos?.credential).toEqual({ kind: 'ccache', ccache: 'FILE:/tmp/krb5cc_0' });
    expect(errorOf(kerberosServer('    kerberos: { ccache: /tmp/c, keytab: /etc/krb5.keytab }\n')).message).toContain('one ticket source');
    expect(errorOf(kerberosServer('    kerberos: { servicePrincipal: ces.example.com }\n')).message).toContain('HTTP/ces.example.com');
    expect(errorOf(base.replace('    password: { env: PW }\n', '    password: { env: PW }\n    kerberos: { keytab: /k }\n')).message).toContain('only used with auth: kerberos');
  });

  it('requires credentials for username auth and refuses them for certificate auth', () => {
    expect(errorOf(base.replace('    password: { env: PW }\n', '')).message).toContain('missing "password"');
    const cert = errorOf(base.replace('auth: username', 'auth: certificate'));
    expect(cert.key).toBe('policyServers[0].username');
    expect(cert.message).toContain('not used with auth: certificate');
  });

  it('parses durations into milliseconds', () => {
    const config = parseConfig(
      `${base}schedule: { interval: 1h30m, jitter: 500ms }\ntransport: { connectTimeout: 2s, requestTimeout: 1m }\npendingMaxAge: 7d\ncertificates:\n  - { id: a, template: T, renewalPeriod: 6w, hooks: { timeout: 15s, deploy: "reload" } }\n`,
      FILE,
    );
    expect(config.schedule).toEqual({ intervalMs: 5_400_000, jitterMs: 500 });
    expect(config.transport.connectTimeoutMs).toBe(2000);
    expect(config.transport.requestTimeoutMs).toBe(60_000);
    expect(config.pendingMaxAgeMs).toBe(7 * 86_400_000);
    expect(config.certificates[0]?.renewalPeriodMs).toBe(42 * 86_400_000);
    expect(config.certificates[0]?.hooks).toMatchObject({ timeoutMs: 15_000, deploy: ['reload'] });
  });

  it('refuses duplicate and unsafe certificate ids', () => {
    const dup = errorOf(`${base}certificates:\n  - { id: a, template: T }\n  - { id: a, template: U }\n`);
    expect(dup.key).toBe('certificates[1].id');
    expect(dup.line).toBe(8);
    expect(dup.message).toContain('duplicate id "a"');
    expect(errorOf(`${base}certificates:\n  - { id: ../x, template: T }\n`).message).toContain('A-Z a-z 0-9');
    expect(errorOf(`${base}certificates:\n  - { id: .., template: T }\n`).message).toContain('must not be');
  });

  it('normalizes key specifications and refuses contradictions', () => {
    const keys = parseConfig(
      `${base}certificates:\n  - { id: a, template: T, key: { algorithm: EC, size: 384 } }\n  - { id: b, template: T, key: { algorithm: EC } }\n  - { id: c, template: T, key: { algorithm: RSA } }\n`,
      FILE,
    ).certificates.map((c) => c.key);
    expect(keys).toEqual([{ algorithm: 'EC', curve: 'P-384' }, { algorithm: 'EC' }, { algorithm: 'RSA' }]);
    expect(errorOf(`${base}certificates:\n  - { id: a, template: T, key: { algorithm: RSA, curve: P-256 } }\n`).key).toBe('certificates[0].key.curve');
    expect(errorOf(`${base}certificates:\n  - { id: a, template: T, key: { algorithm: RSA, size: 256 } }\n`).message).toContain('2048, 3072 or 4096 bits');
    expect(errorOf(`${base}certificates:\n  - { id: a, template: T, key: { algorithm: EC, size: 256, curve: P-384 } }\n`).message).toContain('contradicts');
  });

  it('validates SAN values and output modes', () => {
    expect(errorOf(`${base}certificates:\n  - { id: a, template: T, ip: [10.0.0.300] }\n`).key).toBe('certificates[0].ip[0]');
    const mode = errorOf(`${base}certificates:\n  - { id: a, template: T, output: { cert: c.pem, mode: 0644 } }\n`);
    expect(mode.message).toContain('quoted octal string');
    expect(parseConfig(`${base}certificates:\n  - { id: a, template: T, output: { cert: c.pem, mode: "0640" } }\n`, FILE).certificates[0]?.output?.mode).toBe(0o640);
  });

  it('refuses two outputs writing the same file but lets certificates share a chain file', () => {
    const clash = errorOf(`${base}certificates:\n  - { id: a, template: T, output: { cert: x.pem } }\n  - { id: b, template: T, output: { key: x.pem } }\n`);
    expect(clash.key).toBe('certificates[1].output.key');
    expect(() => parseConfig(`${base}certificates:\n  - { id: a, template: T, output: { chain: ca.pem } }\n  - { id: b, template: T, output: { chain: ca.pem } }\n`, FILE)).not.toThrow();
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const syntax = errorOf(`${base}certificates: [\n`);
    expect(syntax.code).toBe('CONFIG_YAML');
    expect(syntax.line).toBeGreaterThan(5);
    const duplicate = errorOf(`${base}stateDir: a\nstateDir: b\n`);
    expect(duplicate.code).toBe('CONFIG_YAML');
    expect(duplicate.line).toBe(7);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = `${base}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(errorOf(bomb).code).toBe('CONFIG_YAML');
  });

  it('says clearly when the file is missing or empty', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'autoenroll-config-'));
    await expect(loadConfig(path.join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND', exitCode: 4 });
    await writeFile(path.join(dir, 'empty.yaml'), '# nothing\n');
    await expect(loadConfig(path.join(dir, 'empty.yaml'))).rejects.toThrow(/the file is empty/);
    await expect(loadConfig(dir)).rejects.toThrow(/not a regular file/);
  });
});
