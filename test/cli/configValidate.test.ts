import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';

const SECRET = 's3cr3t-value';

describe('autoenroll config validate', () => {
  let dir: string;
  let config: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'autoenroll-validate-'));
    config = path.join(dir, 'config.yaml');
    await writeFile(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await writeFile(path.join(dir, 'pfx.secret'), `${SECRET}\n`, { mode: 0o600 });
    await writeFile(
      config,
      `stateDir: ./state
trust: { caFile: ./ca.pem }
policyServers:
  - url: https://cep.example/CEP
    auth: username
    username: enroll
    password: { env: ENROLL_PW }
certificates:
  - id: web
    template: WebServer
    subject: CN=web.example
    output:
      cert: ./out/web.pem
      pfx: { path: ./out/web.pfx, password: { file: ./pfx.secret } }
`,
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a summary and exits 0 when the config and its secrets are usable', async () => {
    const ctx = captureContext({ env: { ENROLL_PW: SECRET }, cwd: dir });
    expect(await runCli(['config', 'validate', '--config', 'config.yaml'], ctx)).toBe(0);
    expect(ctx.out()).toContain(`${config}: OK`);
    expect(ctx.out()).toContain('certificate    web: template WebServer, CN=web.example');
    expect(ctx.out()).toContain('ok             policyServers[0].password ← env:ENROLL_PW');
    expect(ctx.out()).toContain(`ok             certificates[0].output.pfx.password ← file:${path.join(dir, 'pfx.secret')}`);
    expect(ctx.out() + ctx.err()).not.toContain(SECRET);
  });

  it('finds the config through $AUTOENROLL_CONFIG', async () => {
    const ctx = captureContext({ env: { ENROLL_PW: SECRET, AUTOENROLL_CONFIG: config } });
    expect(await runCli(['config', 'validate'], ctx)).toBe(0);
  });

  it('exits 4 and names each unresolvable reference, without printing secrets', async () => {
    await chmod(path.join(dir, 'pfx.secret'), 0o644);
    await rm(path.join(dir, 'ca.pem'));
    const ctx = captureContext({ env: {} });
    expect(await runCli(['--config', config, 'config', 'validate'], ctx)).toBe(4);
    expect(ctx.out()).toContain('problems found');
    expect(ctx.err()).toContain('policyServers[0].password: the environment variable ENROLL_PW is not set');
    if (process.platform !== 'win32') expect(ctx.err()).toContain(`chmod 600 ${path.join(dir, 'pfx.secret')}`);
    expect(ctx.err()).toContain('trust.caFile');
    expect(ctx.out() + ctx.err()).not.toContain(SECRET);
  });

  it('gives one JSON document with --json', async () => {
    const ctx = captureContext({ env: {} });
    expect(await runCli(['--json', '--config', config, 'config', 'validate'], ctx)).toBe(4);
    const doc = JSON.parse(ctx.out());
    expect(doc).toMatchObject({
      ok: false,
      file: config,
      stateDir: path.join(dir, 'state'),
      policyServers: [{ url: 'https://cep.example/CEP', auth: 'username', priority: 10 }],
      certificates: [{ id: 'web', template: 'WebServer', outputs: ['cert', 'pfx'] }],
      schedule: { interval: '8h', jitter: '10m' },
    });
    expect(doc.checks[0]).toMatchObject({ usedBy: 'policyServers[0].password', source: 'env:ENROLL_PW', ok: false, error: { code: 'SECRET_ENV_MISSING' } });
  });

  it('reports a schema error with file, line and key, exit 4', async () => {
    await writeFile(config, 'policyServers:\n  - url: https://cep.example/CEP\n    auth: certificate\n    prority: 1\n');
    const ctx = captureContext();
    expect(await runCli(['--config', config, 'config', 'validate'], ctx)).toBe(4);
    expect(ctx.err()).toContain(`${config}: line 4: policyServers[0].prority: unknown key "prority"`);
    const json = captureContext();
    expect(await runCli(['--json', '--config', config, 'config', 'validate'], json)).toBe(4);
    expect(JSON.parse(json.out()).error).toMatchObject({ code: 'CONFIG_INVALID', line: 4, key: 'policyServers[0].prority' });
  });
});
