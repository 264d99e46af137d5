// A requested key that the template refuses is never replaced by another one: the config's
// certificates[].key and `request --key` fail loudly (exit 4, KEY_SPEC_UNSATISFIABLE) before
// any enrollment request is sent; a key left unconfigured, or an algorithm without a size,
// still gets what the template requires.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CEP_USERNAME, cli } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('a key the template refuses', () => {
  let lab: Lab;
  let work: string;
  let vars: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-keyspec-'));
    lab = await startLab({
      dir: join(work, 'lab'),
      port: 0,
      templates: [{ name: 'Rsa3072', oid: '1.3.6.1.4.1.311.21.8.7510143.1436283.61.1', validitySeconds: 3600, renewalSeconds: 600, minimalKeyLength: 3072 }],
    });
    vars = { LAB_PASSWORD: lab.users[0]!.password };
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const issues = () => lab.requestLog().filter((e) => e.operation === 'Issue').length;

  function writeConfig(name: string, key: Record<string, unknown> | undefined): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [{ url: lab.endpoint(CEP_USERNAME).url, auth: 'username', username: lab.users[0]!.username, password: { env: 'LAB_PASSWORD' } }],
        certificates: [{ id: 'web', template: 'Rsa3072', subject: 'CN=web.lab.test', ...(key ? { key } : {}) }],
      }),
    );
    return file;
  }

  it('certificates[].key: RSA 2048 below the 3072 minimum fails the enrollment with exit 4 and sends nothing', async () => {
    const config = writeConfig('rsa2048', { algorithm: 'RSA', size: 2048 });
    const before = issues();
    const result = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(result.code, result.err).toBe(4);
    const error = (JSON.parse(result.out) as PassResult).certificates[0]?.error;
    expect(error?.code).toBe('KEY_SPEC_UNSATISFIABLE');
    expect(error?.message).toContain('certificate "web": the requested key rsa:2048 does not satisfy template "Rsa3072", which requires a key of at least 3072 bits');
    expect(error?.message).toContain('set certificates[].key of "web" to { algorithm: RSA, size: 3072 }');
    expect(issues()).toBe(before);
    expect(await openStore(join(work, 'rsa2048', 'state')).certificate('web').current()).toBeNull();
  });

  it('certificates[].key: EC P-256 for an RSA-sized template fails the same way', async () => {
    const config = writeConfig('ec', { algorithm: 'EC', curve: 'P-256' });
    const before = issues();
    const result = await cli(['--config', config, 'enroll'], vars);
    expect(result.code).toBe(4);
    expect(result.out).toContain('[KEY_SPEC_UNSATISFIABLE]');
    expect(result.out).toContain('the requested key ec:p256 does not satisfy template "Rsa3072"');
    expect(issues()).toBe(before);
  });

  it('request --key ec:p256 fails before the key is written or a request is sent', async () => {
    const out = join(work, 'oneshot');
    const before = issues();
    const argv = ['request', '--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', 'Rsa3072', '--username', lab.users[0]!.username, '--password-stdin', '--subject', 'CN=oneshot.lab.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out', out];
    const ctx = captureContext({ stdin: `${lab.users[0]!.password}\n` });
    expect(await runCli(argv, ctx)).toBe(4);
    expect(ctx.err()).toContain('error [KEY_SPEC_UNSATISFIABLE]: request: the requested key ec:p256 does not satisfy template "Rsa3072", which requires a key of at least 3072 bits; set --key to rsa:3072');
    expect(existsSync(join(out, 'key.pem'))).toBe(false);
    expect(issues()).toBe(before);
  });

  it('an algorithm without a size gets the template minimum: RSA 3072', async () => {
    const config = writeConfig('rsa-any', { algorithm: 'RSA' });
    const result = await cli(['--config', config, 'enroll'], vars);
    expect(result.code, result.err).toBe(0);
    const current = await openStore(join(work, 'rsa-any', 'state')).certificate('web').current();
    expect(openssl(['x509', '-noout', '-text'], current!.certPem).stdout).toContain('Public-Key: (3072 bit)');
  });
});
