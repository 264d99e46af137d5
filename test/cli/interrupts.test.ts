// SIGINT / SIGTERM against the built CLI as a process, while it waits on a lab endpoint that accepts
// the connection and never answers (a TCP blackhole on a CES with its own port; on the shared port
// the TLS handshake completes and the request is never answered). Every one-shot command exits
// 130 / 143 within a second, says it was interrupted and prints no success line; the next run
// recovers; `run` stops within 2 s on SIGTERM mid-request.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { TEST_TEMPLATES } from '../e2e/agentLab.js';
import { CLI, REPO } from '../daemon/helpers/serviceLab.js';

const CEP_USERNAME = 'ADPolicyProvider_CEP_UsernamePassword';
const CEP_CERTIFICATE = 'KeyBasedRenewal_ADPolicyProvider_CEP_Certificate';
const CES_USERNAME = 'LAB-ISSUING-CA_CES_UsernamePassword';
const CES_USERNAME_OWN_PORT = 'LAB-ISSUING-CA_CES_UsernamePassword#2';
const CES_CERTIFICATE = 'LAB-ISSUING-CA_CES_Certificate';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the signal to the process's exit. */
  afterSignalMs: number;
}

/** Starts the CLI, sends `signal` once `ready()` holds (polled), and measures the time to exit. */
function interrupt(args: string[], env: NodeJS.ProcessEnv, signal: NodeJS.Signals, ready: () => boolean, options: { input?: string } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(options.input ?? '');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const poll = setInterval(() => {
      if (sentAt === 0 && ready()) {
        sentAt = Date.now();
        child.kill(signal);
        clearInterval(poll);
      }
    }, 25);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(killer);
      clearInterval(poll);
      const afterSignalMs = sentAt === 0 ? Number.NaN : Date.now() - sentAt;
      // Let the pipes drain before resolving.
      setTimeout(() => resolve({ code, signal: sig, stdout, stderr, afterSignalMs }), 50);
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    child.on('error', reject);
    child.on('exit', (code) => setTimeout(() => resolve({ code, stdout, stderr }), 50));
  });
}

const SUCCESS = /: (VALID|issued|renewed)|wrote |certificate issued/i;

describe.skipIf(process.platform === 'win32')('interrupts (built CLI, blackholed lab endpoints)', () => {
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let password: string;
  let username: string;

  beforeAll(async () => {
    if (!existsSync(path.join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
    work = mkdtempSync(path.join(tmpdir(), 'ae-interrupts-'));
    lab = await startLab({
      dir: path.join(work, 'lab'),
      port: 0,
      templates: TEST_TEMPLATES,
      cas: [{ name: 'LAB-ISSUING-CA', usernameCes: [{}, { port: 0 }] }],
    });
    const user = lab.users[0]!;
    password = user.password;
    username = user.username;
    env = { ...process.env, LAB_PASSWORD: password, AUTOENROLL_CONFIG: '', NOTIFY_SOCKET: '' };
  });
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function writeConfig(name: string, template: string): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    const config = {
      stateDir: './state',
      trust: { caFile: lab.trustBundlePath },
      policyServers: [
        { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
        { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username, password: { env: 'LAB_PASSWORD' } },
      ],
      certificates: [{ id: name, template, subject: `CN=${name}.lab.test`, dns: [`${name}.lab.test`], key: { algorithm: 'EC', curve: 'P-256' }, output: { cert: './out/cert.pem', key: './out/key.pem' } }],
      transport: { connectTimeout: '20s', requestTimeout: '30s' },
      logging: { format: 'json' },
    };
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, stringify(config));
    return file;
  }

  const injectedCount = (): number => lab.requestLog().filter((e) => e.outcome.startsWith('injected:')).length;
  const newInjection = (): (() => boolean) => {
    const before = injectedCount();
    return () => injectedCount() > before;
  };
  /** The TCP blackhole logs nothing: give the CLI time to load, fetch the policy and connect. */
  const after = (ms: number): (() => boolean) => {
    const at = Date.now() + ms;
    return () => Date.now() >= at;
  };

  function expectInterrupted(outcome: Outcome, code: 130 | 143): void {
    expect(outcome.code, outcome.stderr).toBe(code);
    expect(outcome.afterSignalMs).toBeLessThan(1_000);
    expect(outcome.stderr).toMatch(/interrupted/);
    expect(outcome.stdout).not.toMatch(SUCCESS);
    expect(outcome.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }

  it('enroll: SIGINT while the submission is in flight → 130 within 1 s; the next enroll recovers', async () => {
    const config = writeConfig('enroll', 'TestInstant');
    await lab.setFault(CES_USERNAME, { kind: 'blackhole' });
    await lab.setFault(CES_USERNAME_OWN_PORT, { kind: 'blackhole' });
    try {
      const outcome = await interrupt(['enroll', '--config', config], env, 'SIGINT', after(2_500));
      expectInterrupted(outcome, 130);
    } finally {
      await lab.setFault(CES_USERNAME, null);
      await lab.setFault(CES_USERNAME_OWN_PORT, null);
    }
    const again = await run(['enroll', '--config', config], env);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(work, 'enroll', 'out', 'cert.pem'))).toBe(true);
  }, 60_000);

  it('renew: SIGTERM while the key-based renewal hangs → 143 within 1 s', async () => {
    const config = writeConfig('renew', 'TestInstant');
    expect((await run(['enroll', '--config', config], env)).code).toBe(0);
    await lab.setFault(CES_CERTIFICATE, { kind: 'blackhole' });
    try {
      const outcome = await interrupt(['renew', '--force', '--config', config], env, 'SIGTERM', newInjection());
      expectInterrupted(outcome, 143);
    } finally {
      await lab.setFault(CES_CERTIFICATE, null);
    }
  }, 60_000);

  it('retrieve and enroll --wait: SIGINT while polling a pending request → 130 within 1 s', async () => {
    const config = writeConfig('pending', 'TestPending');
    const first = await run(['enroll', '--config', config], env);
    expect(first.code, first.stderr).toBe(5);

    // enroll --wait: the poll loop's sleep.
    const polls = (): number => lab.requestLog().filter((e) => e.operation === 'QueryTokenStatus' || e.outcome === 'pending').length;
    const before = polls();
    const waited = await interrupt(['enroll', '--wait', '120', '--config', config], env, 'SIGINT', () => polls() > before);
    expectInterrupted(waited, 130);

    const everything = [CEP_CERTIFICATE, CEP_USERNAME, CES_USERNAME, CES_USERNAME_OWN_PORT];
    for (const name of everything) await lab.setFault(name, { kind: 'blackhole' });
    try {
      const injected = newInjection();
      const later = after(2_500);
      const outcome = await interrupt(['retrieve', '--config', config], env, 'SIGINT', () => injected() || later());
      expectInterrupted(outcome, 130);
    } finally {
      for (const name of everything) await lab.setFault(name, null);
    }
  }, 90_000);

  it('request: SIGINT while the policy request hangs → 130 within 1 s, no files written', async () => {
    const out = path.join(work, 'request-out');
    await lab.setFault(CEP_USERNAME, { kind: 'blackhole' });
    try {
      const args = ['request', '--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', 'TestInstant', '--username', username, '--password-stdin', '--subject', 'CN=one.lab.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out', out];
      const outcome = await interrupt(args, env, 'SIGINT', newInjection(), { input: `${password}\n` });
      expectInterrupted(outcome, 130);
      expect(existsSync(path.join(out, 'cert.pem'))).toBe(false);
    } finally {
      await lab.setFault(CEP_USERNAME, null);
    }
  }, 60_000);

  it('run: SIGTERM mid-request → stops within 2 s (exit 0)', async () => {
    const config = writeConfig('service', 'TestInstant');
    await lab.setFault(CEP_CERTIFICATE, { kind: 'blackhole' });
    await lab.setFault(CEP_USERNAME, { kind: 'blackhole' });
    try {
      const outcome = await interrupt(['run', '--config', config], env, 'SIGTERM', newInjection());
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.afterSignalMs).toBeLessThan(2_000);
    } finally {
      await lab.setFault(CEP_CERTIFICATE, null);
      await lab.setFault(CEP_USERNAME, null);
    }
  }, 60_000);
});
