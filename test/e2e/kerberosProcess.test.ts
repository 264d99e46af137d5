// The CLI as a separate process with Kerberos: the password reaches kinit on its stdin only (every
// process's argv sampled with ps while it runs), the private credential cache is gone when the
// process has exited, a deploy hook sees neither the cache nor the password; and, with the
// optional module absent (the bundle run from a folder where `kerberos` does not resolve), the
// Kerberos servers are skipped with the install hint while the other authentication types work.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipKerberosTests } from '../helpers/kdc.js';
import { bundleCli, runBundle } from './cliBundle.js';
import { CEP_USERNAME, CES_USERNAME } from './agentLab.js';
import { CES_KERBEROS, startKerberosLab, USER, USER_PASSWORD } from './kerberosLab.js';
import type { KerberosLab } from './kerberosLab.js';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';

const skip = skipKerberosTests();
const repo = join(import.meta.dirname, '../..');

describe.skipIf(skip)('Kerberos in a CLI process', () => {
  let k: KerberosLab;
  let bundle: string;
  let bundleWithoutModules: string;
  beforeAll(async () => {
    k = await startKerberosLab();
    const cache = join(repo, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    bundle = await bundleCli(cache);
    bundleWithoutModules = await bundleCli(tmpdir());
  });
  afterAll(async () => {
    await k?.close();
    for (const b of [bundle, bundleWithoutModules]) if (b) rmSync(dirname(b), { recursive: true, force: true });
  });

  it('keeps the password out of every argv (ps sampled), removes the private cache, and gives hooks neither', async () => {
    const hookEnv = join(k.work, 'hook-env.txt');
    const passwordFile = join(k.work, 'kerberos-password');
    writeFileSync(passwordFile, USER_PASSWORD, { mode: 0o600 });
    const config = k.writeConfig('process', { username: `${USER}@LAB.TEST`, password: { file: passwordFile } }, [{ id: 'proc', template: 'TestInstant', deploy: [`env > ${hookEnv}`] }]);
    const privateTmp = mkdtempSync(join(tmpdir(), 'autoenroll-krb5-tmp-'));
    const child = spawn(process.execPath, [bundle, '--config', config, '--json', 'enroll'], {
      env: { PATH: process.env.PATH ?? '', HOME: k.work, TMPDIR: privateTmp, KRB5_CONFIG: k.kdc.krb5Conf },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const samples: string[] = [];
    let sawCacheFolder = false;
    while (!done) {
      samples.push(spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout);
      if (readdirSync(privateTmp).some((name) => name.startsWith('autoenroll-krb5-'))) sawCacheFolder = true;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const code = await exited;
    expect(code, err).toBe(0);
    expect(JSON.parse(out).certificates[0]).toMatchObject({ outcome: 'issued', endpoint: k.lab.endpoint(CES_KERBEROS).url });
    expect(samples.length).toBeGreaterThan(3);
    expect(samples.join('\n')).toContain(config);
    expect(samples.join('\n')).not.toContain(USER_PASSWORD);
    expect(out + err).not.toContain(USER_PASSWORD);
    // The private cache existed while it ran and is gone now.
    expect(sawCacheFolder).toBe(true);
    expect(readdirSync(privateTmp).filter((name) => name.startsWith('autoenroll-krb5-'))).toEqual([]);
    const hook = readFileSync(hookEnv, 'utf8');
    expect(hook).not.toContain('KRB5CCNAME');
    expect(hook).not.toContain(USER_PASSWORD);
    rmSync(privateTmp, { recursive: true, force: true });
  });

  it('without the kerberos module: Kerberos servers skipped with the install hint, username/password enrollment unaffected', async () => {
    const user = k.lab.users[0] as { username: string; password: string };
    const dir = join(k.work, 'no-module');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        stateDir: './state',
        trust: { caFile: k.lab.trustBundlePath },
        policyServers: [
          { url: k.lab.endpoint('ADPolicyProvider_CEP_Kerberos').url, auth: 'kerberos', priority: 1, kerberos: { keytab: k.hostKeytab, principal: 'HOST$' } },
          { url: k.lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: [{ id: 'plain', template: 'TestInstant', subject: 'CN=plain.lab.test', dns: ['plain.lab.test'], key: { algorithm: 'EC', curve: 'P-256' }, output: { cert: './out/plain.pem', key: './out/plain.key' } }],
      }),
    );
    const env = { PATH: process.env.PATH ?? '', HOME: k.work, KRB5_CONFIG: k.kdc.krb5Conf, LAB_PASSWORD: user.password };
    const result = await runBundle(bundleWithoutModules, ['--config', config, '--json', 'enroll'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).certificates[0]).toMatchObject({ outcome: 'issued', endpoint: k.lab.endpoint(CES_USERNAME).url });
    expect(result.stderr).toMatch(/policy\.server_skipped/);
    expect(result.stderr).toMatch(/optional module kerberos/);
    expect(result.stderr).toMatch(/npm install kerberos/);
    expect(result.stderr).toMatch(/libkrb5-dev/);
    expect(existsSync(join(dir, 'out/plain.pem'))).toBe(true);

    // A config with only Kerberos: a configuration error (exit 4) with the hint.
    writeFileSync(
      config,
      stringify({
        stateDir: './state-only',
        trust: { caFile: k.lab.trustBundlePath },
        policyServers: [{ url: k.lab.endpoint('ADPolicyProvider_CEP_Kerberos').url, auth: 'kerberos', kerberos: { keytab: k.hostKeytab, principal: 'HOST$' } }],
        certificates: [{ id: 'only', template: 'TestInstant', subject: 'CN=only.lab.test', key: { algorithm: 'EC', curve: 'P-256' } }],
      }),
    );
    const only = await runBundle(bundleWithoutModules, ['--config', config, '--json', 'enroll'], env);
    expect(only.code, only.stderr + only.stdout).toBe(4);
    expect(only.stdout + only.stderr).toMatch(/npm install kerberos/);
  });
});
