// Certificates whose key lives in a SoftHSM token, with the real CLI as a process against the lab:
// enrollment (issued and pending/retrieve), key-based renewal with a new token key and with
// reuseKey (TLS client key through the OpenSSL pkcs11 engine), the issued certificate certifying
// the token object's public key, no private key bytes in stateDir or outputs, the typed errors
// (wrong PIN, missing module, missing token, deleted object) and a SIGKILL during key generation.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { createTestToken, hasSoftHsm, pkcs11Tool, type TestToken } from '../helpers/softhsm.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CES_CERTIFICATE, startAgentLab, type AgentLab, type CertificateEntry } from './agentLab.js';
import { bundleCli, runBundle } from './cliBundle.js';

const hasEngine = ['/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so', '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so'].some((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});
if (!hasEngine) {
  if (process.env.CI === 'true') throw new Error('the OpenSSL pkcs11 engine (libengine-pkcs11-openssl) is required under CI=true');
  console.warn('[skip] libengine-pkcs11-openssl is not installed: the token TLS tests are skipped');
}

const repoModules = join(import.meta.dirname, '../../node_modules');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe.skipIf(!hasSoftHsm || !hasOpenssl || !hasEngine)('keys in a PKCS#11 token (SoftHSM), CLI against the lab', () => {
  let env: AgentLab;
  let bundle: string;
  let token: TestToken;
  let vars: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([startAgentLab(), bundleCli()]);
    token = createTestToken('e2e', '246810');
    vars = { LAB_PASSWORD: env.password, TOKEN_PIN: token.pin, NODE_PATH: repoModules, ...token.env };
  }, 60_000);
  afterAll(async () => env?.close());

  /** A lab config whose certificates keep their key in the token (the key output receives the URI). */
  function writeTokenConfig(name: string, entries: CertificateEntry[], pkcs11: Record<string, unknown> = {}): string {
    const file = env.writeConfig(name, entries);
    const config = parse(readFileSync(file, 'utf8')) as { certificates: Record<string, unknown>[] };
    for (const certificate of config.certificates) {
      certificate.key = { algorithm: 'EC', curve: 'P-256', pkcs11: { uri: `pkcs11:token=${token.label}`, module: token.module, pin: { env: 'TOKEN_PIN' }, ...pkcs11 } };
    }
    writeFileSync(file, stringify(config));
    return file;
  }
  const run = (argv: string[], extra: NodeJS.ProcessEnv = {}) => runBundle(bundle, argv, { ...vars, ...extra }, 60_000);
  const pass = (stdout: string) => JSON.parse(stdout) as PassResult;
  const certPubkey = (file: string) => openssl(['x509', '-in', file, '-noout', '-pubkey']).stdout;
  /** The public key of a token object as pkcs11-tool reads it (independent of autoenroll). */
  function tokenPubkey(uri: string): string {
    const label = decodeURIComponent(/object=([^;]+)/.exec(uri)?.[1] ?? '');
    const out = join(token.dir, `${label}.der`);
    const read = pkcs11Tool(token, ['--read-object', '--type', 'pubkey', '--label', label, '-o', out]);
    expect(read.status, read.stderr).toBe(0);
    return openssl(['pkey', '-pubin', '-inform', 'DER', '-in', out]).stdout;
  }
  function privateKeyAttributes(uri: string): string {
    const label = decodeURIComponent(/object=([^;]+)/.exec(uri)?.[1] ?? '');
    return pkcs11Tool(token, ['--list-objects', '--type', 'privkey', '--label', label]).stdout;
  }

  it('enrolls with a key generated in the token, renews over mTLS with a new token key and with reuseKey; no private key bytes on disk', async () => {
    const config = writeTokenConfig('enroll', [{ id: 'hsm', template: 'TestInstant' }]);
    const dir = dirname(config);
    const certFile = join(dir, 'out/hsm.pem');
    const uriFile = join(dir, 'out/hsm.key');

    const enrolled = await run(['--config', config, '--json', 'enroll']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const first = pass(enrolled.stdout).certificates[0]!;
    expect(first).toMatchObject({ outcome: 'issued', generation: 1 });
    const firstUri = readFileSync(uriFile, 'utf8');
    expect(firstUri).toMatch(/^pkcs11:token=e2e;object=autoenroll-hsm-\d{8}T\d{6}Z-[0-9a-f]{4};id=(%[0-9a-f]{2}){16}$/);
    expect(certPubkey(certFile)).toBe(tokenPubkey(firstUri));
    expect(privateKeyAttributes(firstUri)).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    const status = await run(['--config', config, '--json', 'status']);
    expect(status.stdout).toContain(JSON.stringify(firstUri));

    const renewed = await run(['--config', config, '--json', 'renew', '--force']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(pass(renewed.stdout).certificates[0]).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2, endpoint: env.lab.endpoint(CES_CERTIFICATE).url });
    const issue = env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)!;
    expect(issue).toMatchObject({ endpoint: CES_CERTIFICATE, auth: 'certificate', clientCertThumbprint: first.thumbprint, outcome: 'issued' });
    const secondUri = readFileSync(uriFile, 'utf8');
    expect(secondUri).not.toBe(firstUri);
    expect(certPubkey(certFile)).toBe(tokenPubkey(secondUri));
    // The old generation's object is kept (archive names it) until that generation is pruned.
    expect(readFileSync(join(dir, 'state/certs/hsm/archive/0001/key.pem'), 'utf8')).toBe(firstUri);
    expect(tokenPubkey(firstUri)).not.toBe('');

    const second = pass(renewed.stdout).certificates[0]!;
    const reused = await run(['--config', config, '--json', 'renew', '--force', '--reuse-key']);
    expect(reused.code, reused.stderr).toBe(0);
    expect(pass(reused.stdout).certificates[0]).toMatchObject({ action: 'renew', outcome: 'issued', generation: 3 });
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)).toMatchObject({ auth: 'certificate', clientCertThumbprint: second.thumbprint });
    expect(readFileSync(uriFile, 'utf8')).toBe(secondUri);
    expect(certPubkey(certFile)).toBe(tokenPubkey(secondUri));

    // doctor: module, token, PIN, key object; and the certificate endpoints probed with the token key.
    const doctor = await run(['--config', config, '--json', 'doctor']);
    const report = JSON.parse(doctor.stdout) as { general: { code: string; status: string }[]; endpoints: { auth: string; checks: { name: string; status: string }[] }[] };
    expect(report.general).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PKCS11_TOKEN_OK', status: 'ok' }), expect.objectContaining({ code: 'PKCS11_KEY_OK', status: 'ok' })]));
    expect(doctor.code, doctor.stdout).toBe(0);
    const badPin = await run(['--config', config, '--json', 'doctor'], { TOKEN_PIN: '000000' });
    expect(badPin.code).toBe(4);
    expect(JSON.parse(badPin.stdout).general).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PKCS11_PIN_WRONG', status: 'fail' })]));

    // No private key anywhere in stateDir or the outputs: no PEM/PKCS#8 key, every key reference a URI.
    for (const file of [...filesUnder(join(dir, 'state')), ...filesUnder(join(dir, 'out'))]) {
      const bytes = readFileSync(file);
      expect(bytes.toString('latin1'), file).not.toMatch(/PRIVATE KEY/);
      if (file.endsWith('key.pem') || file.endsWith('.key')) expect(bytes.toString('utf8'), file).toMatch(/^pkcs11:/);
      // A DER PKCS#8 or SEC1 EC private key: SEQUENCE { INTEGER 0|1, ... } at the start.
      const lengthBytes = bytes[1] === 0x81 ? 2 : bytes[1] === 0x82 ? 3 : 1;
      const der = bytes[0] === 0x30 && bytes[1 + lengthBytes] === 0x02 && bytes[2 + lengthBytes] === 0x01 && (bytes[3 + lengthBytes] ?? 9) <= 1;
      expect(der && !file.endsWith('.der'), file).toBe(false);
    }
  }, 180_000);

  it('a pending enrollment keeps the token key and retrieve installs the certificate for it', async () => {
    const config = writeTokenConfig('pending', [{ id: 'wait', template: 'TestPending' }]);
    const dir = dirname(config);
    const enrolled = await run(['--config', config, '--json', 'enroll']);
    expect(enrolled.code, enrolled.stderr).toBe(5);
    const requestId = pass(enrolled.stdout).certificates[0]!.requestId!;
    const pendingKey = readFileSync(join(dir, 'state/certs/wait/pending/key.pem'), 'utf8');
    expect(pendingKey).toMatch(/^pkcs11:token=e2e;/);
    await env.lab.approve(requestId);
    const retrieved = await run(['--config', config, '--json', 'retrieve']);
    expect(retrieved.code, retrieved.stderr).toBe(0);
    expect(certPubkey(join(dir, 'out/wait.pem'))).toBe(tokenPubkey(pendingKey));
  }, 120_000);

  it('a wrong PIN, a missing module and a missing token are typed errors (exit 4) naming the fix, before anything is sent', async () => {
    const wrongPin = writeTokenConfig('wrong-pin', [{ id: 'pin', template: 'TestInstant' }]);
    const sentBefore = env.lab.requestLog().filter((e) => e.operation === 'Issue').length;
    const pin = await run(['--config', wrongPin, '--json', 'enroll'], { TOKEN_PIN: '000000' });
    expect(pin.code).toBe(4);
    expect(pin.stdout + pin.stderr).toContain('PKCS11_PIN_WRONG');
    expect(pin.stdout + pin.stderr).not.toContain('000000');
    const noModule = await run(['--config', writeTokenConfig('no-module', [{ id: 'mod', template: 'TestInstant' }], { module: '/nonexistent/libpkcs11.so' }), '--json', 'enroll']);
    expect(noModule.code).toBe(4);
    expect(noModule.stdout + noModule.stderr).toContain('PKCS11_MODULE_MISSING');
    const noToken = await run(['--config', writeTokenConfig('no-token', [{ id: 'tok', template: 'TestInstant' }], { uri: 'pkcs11:token=absent' }), '--json', 'enroll']);
    expect(noToken.code).toBe(4);
    expect(noToken.stdout + noToken.stderr).toContain('PKCS11_TOKEN_MISSING');
    // Without the pkcs11js module (here: not resolvable from the bundle's folder).
    const noBinding = await run(['--config', writeTokenConfig('no-binding', [{ id: 'bind', template: 'TestInstant' }]), '--json', 'enroll'], { NODE_PATH: '' });
    expect(noBinding.code).toBe(4);
    expect(noBinding.stdout + noBinding.stderr).toContain('PKCS11_UNAVAILABLE');
    expect(noBinding.stdout + noBinding.stderr).toContain('npm install pkcs11js');
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue')).toHaveLength(sentBefore);
  }, 120_000);

  it('a key object deleted behind our back is PKCS11_KEY_MISSING on renewal, and the certificate stays installed', async () => {
    const config = writeTokenConfig('deleted', [{ id: 'gone', template: 'TestInstant' }]);
    const dir = dirname(config);
    expect((await run(['--config', config, 'enroll'])).code).toBe(0);
    const uri = readFileSync(join(dir, 'out/gone.key'), 'utf8');
    const label = decodeURIComponent(/object=([^;]+)/.exec(uri)?.[1] ?? '');
    expect(pkcs11Tool(token, ['--delete-object', '--type', 'privkey', '--label', label]).status).toBe(0);
    const certBefore = readFileSync(join(dir, 'out/gone.pem'), 'utf8');
    const renewed = await run(['--config', config, '--json', 'renew', '--force']);
    expect(renewed.code).toBe(4);
    expect(renewed.stdout + renewed.stderr).toContain('PKCS11_KEY_MISSING');
    expect(readFileSync(join(dir, 'out/gone.pem'), 'utf8')).toBe(certBefore);
  }, 120_000);

  it('SIGKILL right after the key is generated in the token leaves a usable state: the next run enrolls with a fresh key', async () => {
    const config = writeTokenConfig('killed', [{ id: 'kill', template: 'TestInstant' }]);
    const dir = dirname(config);
    const killed = await run(['--config', config, 'enroll'], { AUTOENROLL_CRASH_AT: 'pkcs11:key-generated' });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toContain('crash point pkcs11:key-generated');
    const again = await run(['--config', config, '--json', 'enroll']);
    expect(again.code, again.stderr).toBe(0);
    const uri = readFileSync(join(dir, 'out/kill.key'), 'utf8');
    expect(certPubkey(join(dir, 'out/kill.pem'))).toBe(tokenPubkey(uri));
  }, 120_000);
});

describe.skipIf(!hasSoftHsm || !hasOpenssl || !hasEngine)('keys in a PKCS#11 token behind the IIS-like front (client certificate by renegotiation)', () => {
  let env: AgentLab;
  let bundle: string;
  let token: TestToken;
  let vars: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([startAgentLab({ renegotiateClientCertificate: true }), bundleCli()]);
    token = createTestToken('iis', '135790');
    vars = { LAB_PASSWORD: env.password, TOKEN_PIN: token.pin, NODE_PATH: repoModules, ...token.env };
  }, 60_000);
  afterAll(async () => env?.close());

  it('renews with a new token key and with reuseKey, the certificate asked for by renegotiation', async () => {
    const file = env.writeConfig('iis', [{ id: 'iis', template: 'TestInstant' }]);
    const config = parse(readFileSync(file, 'utf8')) as { certificates: Record<string, unknown>[] };
    config.certificates[0]!.key = { pkcs11: { uri: `pkcs11:token=${token.label}`, module: token.module, pin: { env: 'TOKEN_PIN' } } };
    writeFileSync(file, stringify(config));
    const dir = dirname(file);
    const run = (argv: string[]) => runBundle(bundle, argv, vars, 60_000);
    const enrolled = await run(['--config', file, '--json', 'enroll']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const first = (JSON.parse(enrolled.stdout) as PassResult).certificates[0]!;
    const firstUri = readFileSync(join(dir, 'out/iis.key'), 'utf8');

    const renewed = await run(['--config', file, '--json', 'renew', '--force']);
    expect(renewed.code, renewed.stderr).toBe(0);
    const second = (JSON.parse(renewed.stdout) as PassResult).certificates[0]!;
    expect(second).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2, endpoint: env.lab.endpoint(CES_CERTIFICATE).url });
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)).toMatchObject({ endpoint: CES_CERTIFICATE, auth: 'certificate', clientCertThumbprint: first.thumbprint });
    expect(readFileSync(join(dir, 'out/iis.key'), 'utf8')).not.toBe(firstUri);

    const reused = await run(['--config', file, '--json', 'renew', '--force', '--reuse-key']);
    expect(reused.code, reused.stderr).toBe(0);
    expect(env.lab.requestLog().filter((e) => e.operation === 'Issue').at(-1)).toMatchObject({ auth: 'certificate', clientCertThumbprint: second.thumbprint });
    const pub = openssl(['x509', '-in', join(dir, 'out/iis.pem'), '-noout', '-pubkey']).stdout;
    const secondUri = readFileSync(join(dir, 'out/iis.key'), 'utf8');
    const label = decodeURIComponent(/object=([^;]+)/.exec(secondUri)?.[1] ?? '');
    expect(pkcs11Tool(token, ['--read-object', '--type', 'pubkey', '--label', label, '-o', join(token.dir, 'iis.der')]).status).toBe(0);
    expect(pub).toBe(openssl(['pkey', '-pubin', '-inform', 'DER', '-in', join(token.dir, 'iis.der')]).stdout);
  }, 180_000);
});
