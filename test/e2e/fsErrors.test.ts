// File-system failures, the way they happen in the field, against the built CLI as a process:
// an output folder the (unprivileged) user cannot write, an output "folder" that is a regular
// file, an output under /proc, a missing or non-executable hook program. `config validate` and
// the commands give the typed codes with the path and the config key, exit 4, no stack trace,
// at once (nothing spins); `status` is never VALID while the outputs are missing, and the next
// pass reinstalls them.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { CLI, REPO } from '../daemon/helpers/serviceLab.js';
import { CEP_CERTIFICATE, CEP_USERNAME, TEST_TEMPLATES } from './agentLab.js';

const NOBODY_UID = 65534;
const isRoot = process.getuid?.() === 0;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const canDropPrivileges = isRoot && setpriv !== undefined;
if (!canDropPrivileges) {
  const reason = isRoot ? 'setpriv is not installed' : 'not running as root, so the test cannot switch to an unprivileged user';
  if (process.env.CI === 'true') throw new Error(`the unwritable-folder test needs root and setpriv under CI: ${reason}`);
  console.log(`skipping the unprivileged-user file-system test: ${reason}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: NodeJS.ProcessEnv, asNobody = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const argv = asNobody ? [setpriv as string, '--reuid', String(NOBODY_UID), '--regid', String(NOBODY_UID), '--clear-groups', process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe.skipIf(process.platform === 'win32')('file-system errors (built CLI)', () => {
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let username: string;

  beforeAll(async () => {
    if (!existsSync(path.join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
    work = mkdtempSync(path.join(tmpdir(), 'ae-fs-'));
    chmodSync(work, 0o755);
    lab = await startLab({ dir: path.join(work, 'lab'), port: 0, templates: TEST_TEMPLATES });
    username = lab.users[0]!.username;
    env = { ...process.env, LAB_PASSWORD: lab.users[0]!.password, AUTOENROLL_CONFIG: '', NOTIFY_SOCKET: '' };
  });
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function writeConfig(name: string, options: { out?: string; hooks?: string[] } = {}): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const trust = path.join(dir, 'trust.pem');
    copyFileSync(lab.trustBundlePath, trust);
    chmodSync(trust, 0o644);
    const out = options.out ?? './out';
    const config = {
      stateDir: './state',
      trust: { caFile: './trust.pem' },
      policyServers: [
        { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
        { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username, password: { env: 'LAB_PASSWORD' } },
      ],
      certificates: [
        {
          id: name,
          template: 'TestInstant',
          subject: `CN=${name}.lab.test`,
          dns: [`${name}.lab.test`],
          key: { algorithm: 'EC', curve: 'P-256' },
          output: { cert: `${out}/cert.pem`, key: `${out}/key.pem` },
          ...(options.hooks ? { hooks: { deploy: options.hooks } } : {}),
        },
      ],
      transport: { connectTimeout: '5s', requestTimeout: '10s' },
    };
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, stringify(config), { mode: 0o644 });
    return file;
  }

  const noStack = (run: Run): void => expect(run.stderr + run.stdout).not.toMatch(/\n\s+at .+:\d+:\d+/);
  const stateOf = async (config: string): Promise<string> => {
    const status = await cli(['--config', config, '--json', 'status'], env);
    return (JSON.parse(status.stdout) as Array<{ state: string }>)[0]!.state;
  };

  it.runIf(canDropPrivileges)('an output folder the unprivileged user cannot write → OUTPUT_NOT_WRITABLE, exit 4, naming path and key', async () => {
    const config = writeConfig('unwritable');
    const dir = path.dirname(config);
    mkdirSync(path.join(dir, 'state'), { mode: 0o700 });
    chownSync(path.join(dir, 'state'), NOBODY_UID, NOBODY_UID);
    mkdirSync(path.join(dir, 'out'), { mode: 0o755 }); // root's, not writable by nobody

    const validate = await cli(['--config', config, 'config', 'validate'], env, true);
    expect(validate.code, validate.stderr).toBe(4);
    expect(validate.stderr).toContain('OUTPUT_NOT_WRITABLE');
    expect(validate.stderr).toContain('certificates[0].output.cert');
    expect(validate.stderr).toContain(path.join(dir, 'out'));

    const enroll = await cli(['--config', config, '--json', 'enroll'], env, true);
    expect(enroll.code, enroll.stderr).toBe(4);
    const error = (JSON.parse(enroll.stdout) as { certificates: Array<{ error: { code: string; message: string } }> }).certificates[0]!.error;
    expect(error.code).toBe('OUTPUT_NOT_WRITABLE');
    expect(error.message).toContain('certificates[0].output.cert');
    expect(error.message).toContain(path.join(dir, 'out'));
    noStack(enroll);
    expect(await stateOf(config)).not.toBe('VALID');

    // The state folder not writable either: the typed state code, exit 4.
    chownSync(path.join(dir, 'state'), 0, 0);
    const stateDenied = await cli(['--config', config, 'enroll'], env, true);
    expect(stateDenied.code, stateDenied.stderr).toBe(4);
    expect(stateDenied.stderr).toContain('STATE_DIR_NOT_WRITABLE');
    noStack(stateDenied);
  }, 60_000);

  it('an output folder that is a regular file → OUTPUT_NOT_A_FOLDER; status is not VALID; the next pass reinstalls', async () => {
    const config = writeConfig('notafolder', { out: './blocker' });
    const blocker = path.join(path.dirname(config), 'blocker');
    writeFileSync(blocker, 'not a folder');
    const validate = await cli(['--config', config, 'config', 'validate'], env);
    expect(validate.code, validate.stderr).toBe(4);
    expect(validate.stderr).toContain('OUTPUT_NOT_A_FOLDER');

    const enroll = await cli(['--config', config, 'enroll'], env);
    expect(enroll.code, enroll.stderr).toBe(4);
    expect(enroll.stdout + enroll.stderr).toContain('OUTPUT_NOT_A_FOLDER');
    expect(enroll.stdout + enroll.stderr).toContain('certificates[0].output.');
    noStack(enroll);
    expect(await stateOf(config)).not.toBe('VALID');

    rmSync(blocker);
    const again = await cli(['--config', config, 'enroll'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(blocker, 'cert.pem'))).toBe(true);
    expect(await stateOf(config)).toBe('VALID');

    // A deleted output file: not VALID until the next pass puts it back.
    rmSync(path.join(blocker, 'cert.pem'));
    expect(await stateOf(config)).toBe('NEEDS_ATTENTION');
    const repaired = await cli(['--config', config, 'renew'], env);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(existsSync(path.join(blocker, 'cert.pem'))).toBe(true);
    expect(await stateOf(config)).toBe('VALID');
  }, 60_000);

  it('an output under /proc fails at once with a typed code (no retry loop)', async () => {
    const config = writeConfig('proc', { out: '/proc/autoenroll-test' });
    const validate = await cli(['--config', config, 'config', 'validate'], env);
    expect(validate.code, validate.stderr).toBe(4);
    expect(validate.stderr).toMatch(/OUTPUT_(PARENT_MISSING|NOT_WRITABLE)/);
    const enroll = await cli(['--config', config, 'enroll'], env);
    expect(enroll.code, enroll.stderr).toBe(4);
    expect(enroll.stdout + enroll.stderr).toMatch(/OUTPUT_(PARENT_MISSING|NOT_WRITABLE)/);
    expect(enroll.stdout + enroll.stderr).toContain('/proc/autoenroll-test');
    noStack(enroll);
    expect(enroll.ms).toBeLessThan(20_000);
  }, 60_000);

  it('a missing or non-executable hook program → config validate exit 4 with HOOK_PROGRAM_MISSING / HOOK_PROGRAM_NOT_EXECUTABLE', async () => {
    const config = writeConfig('hooks', { hooks: ['/nonexistent/reload-nginx --now', `${work}/hooks/plain.sh`, 'definitely-not-on-path-xyz'] });
    mkdirSync(path.join(work, 'hooks'), { recursive: true });
    writeFileSync(path.join(work, 'hooks', 'plain.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const validate = await cli(['--config', config, 'config', 'validate'], env);
    expect(validate.code, validate.stderr).toBe(4);
    expect(validate.stderr).toContain('HOOK_PROGRAM_MISSING');
    expect(validate.stderr).toContain('certificates[0].hooks.deploy[0]');
    expect(validate.stderr).toContain('HOOK_PROGRAM_NOT_EXECUTABLE');
    expect(validate.stderr).toContain('certificates[0].hooks.deploy[2]');
    const fine = writeConfig('hooks-ok', { hooks: ['/bin/true'] });
    const ok = await cli(['--config', fine, 'config', 'validate'], env);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);
});
