// A SoftHSM token in a temporary folder (SOFTHSM2_CONF points at a config of our own), never a
// system token. Under CI=true an absent SoftHSM is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from './tools.js';

export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p)) ?? '/usr/lib/softhsm/libsofthsm2.so';
export const hasSoftHsm = existsSync(SOFTHSM_MODULE) && hasTool('softhsm2-util', ['--version']);
if (!hasSoftHsm) {
  if (process.env.CI === 'true') throw new Error('SoftHSM (softhsm2) is required under CI=true: .ci/run installs it');
  console.warn('[skip] softhsm2 is not installed: the PKCS#11 token tests are skipped (apt-get install softhsm2 libengine-pkcs11-openssl opensc)');
}

export interface TestToken {
  dir: string;
  conf: string;
  label: string;
  pin: string;
  module: string;
  env: Record<string, string>;
}

/** Creates a fresh token and sets SOFTHSM2_CONF for this process (SoftHSM reads it at C_Initialize). */
export function createTestToken(label = 'autoenroll-test', pin = '123456'): TestToken {
  const dir = mkdtempSync(join(tmpdir(), 'autoenroll-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '87654321'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${init.stderr}`);
  process.env.SOFTHSM2_CONF = conf;
  return { dir, conf, label, pin, module: SOFTHSM_MODULE, env };
}

/** pkcs11-tool (opensc) against the token, for independent checks. */
export function pkcs11Tool(token: TestToken, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('pkcs11-tool', ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, ...args], { env: { ...process.env, ...token.env }, encoding: 'utf8' });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
