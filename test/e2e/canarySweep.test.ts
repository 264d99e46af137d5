// The canary sweep: an enrollment password, a second (wrong) enrollment password and a PFX
// password, each a unique canary, are planted; every command runs, including the failures a
// hostile or broken server causes (a server that reflects the request body with the password in
// its fault text, a wrong password, a failing hook that prints its environment). Afterwards no
// canary is in any stdout/stderr, log line, state file, output file or hook environment.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, TEST_TEMPLATES } from './agentLab.js';

const CANARY_PASSWORD = 'CanaryEnroll-9c1f&<x>"q';
const CANARY_WRONG = 'CanaryWrong-53be77';
const CANARY_PFX = 'CanaryPfx-a6d2e4';
const CANARIES = [CANARY_PASSWORD, CANARY_WRONG, CANARY_PFX];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) return [];
    return info.isDirectory() ? filesUnder(path) : info.isFile() ? [path] : [];
  });
}

/** The forms a canary may take in text: raw, XML-escaped, JSON-escaped, base64. */
function forms(value: string): string[] {
  const xml = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return [value, xml, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString('base64'), value.slice(0, 12)];
}

const CLI = join(import.meta.dirname, '../../bin/autoenroll.js');

/** `autoenroll run` as a process for `ms`, then SIGTERM; its whole output. */
function runService(config: string, env: NodeJS.ProcessEnv, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', '--config', config], { env: { ...env, NOTIFY_SOCKET: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(`$ run → ${code}\n${text}`);
    });
  });
}

describe.skipIf(!hasOpenssl || !existsSync(join(import.meta.dirname, '../../dist/main.js')))('canary sweep: no secret in any output', () => {
  let work: string;
  let lab: Lab;
  const transcripts: string[] = [];
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-canary-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, users: [{ username: 'canary-user', password: CANARY_PASSWORD }] });
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  function writeConfig(name: string, passwordVar: string, hook: string): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: 'canary-user', password: { env: passwordVar } },
        ],
        certificates: [
          {
            id: 'web',
            template: 'TestInstant',
            subject: 'CN=web.lab.test',
            dns: ['web.lab.test'],
            key: { algorithm: 'EC', curve: 'P-256' },
            output: { cert: './out/web.pem', key: './out/web.key', chain: './out/web-chain.pem', pfx: { path: './out/web.pfx', password: { env: 'CANARY_PFX' } } },
            hooks: { deploy: [hook], failure: [hook] },
          },
        ],
        transport: { connectTimeout: '5s', requestTimeout: '10s' },
        logging: { format: 'json' },
      }),
    );
    return file;
  }

  function hookScript(dir: string, exitCode: number): string {
    mkdirSync(dir, { recursive: true });
    const script = join(dir, `hook-${exitCode}.sh`);
    // Prints its whole environment (to its output, which autoenroll logs, and to a file) and the PFX
    // password it might have been given.
    writeFileSync(script, `#!/bin/sh\nenv | tee -a "${join(dir, 'hook-env.txt')}"\nexit ${exitCode}\n`);
    chmodSync(script, 0o755);
    return script;
  }

  const env = (passwordVar: string, password: string): NodeJS.ProcessEnv => ({
    [passwordVar]: password,
    CANARY_PFX,
    AUTOENROLL_CONFIG: '',
  });

  async function run(argv: string[], vars: NodeJS.ProcessEnv, stdin?: string): Promise<number> {
    const context = captureContext({ env: { ...process.env, ...vars }, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await runCli(argv, context);
    transcripts.push(`$ ${argv.join(' ')} → ${code}\n${context.out()}\n${context.err()}`);
    return code;
  }

  it('drives every command, failures included, and finds no canary anywhere', async () => {
    const good = writeConfig('good', 'LAB_PASSWORD', hookScript(join(work, 'good'), 0));
    const vars = env('LAB_PASSWORD', CANARY_PASSWORD);
    expect(await run(['--config', good, 'config', 'validate'], vars)).toBe(0);
    expect(await run(['--config', good, '--json', 'enroll'], vars)).toBe(0);
    for (const argv of [['status'], ['--json', 'status'], ['plan'], ['--json', 'plan'], ['policy'], ['doctor'], ['--json', 'doctor'], ['--verbose', 'renew', '--force'], ['retrieve']]) {
      await run(['--config', good, ...argv], vars);
    }

    // A failing hook that prints its environment.
    const failing = writeConfig('failing-hook', 'LAB_PASSWORD', hookScript(join(work, 'failing-hook'), 3));
    expect(await run(['--config', failing, '--verbose', 'enroll'], vars)).toBe(6);
    await run(['--config', failing, '--json', 'status'], vars);

    // A wrong password (a secret the agent holds too).
    const wrong = writeConfig('wrong', 'WRONG_PASSWORD', hookScript(join(work, 'wrong'), 0));
    const wrongVars = env('WRONG_PASSWORD', CANARY_WRONG);
    expect(await run(['--config', wrong, '--verbose', 'enroll'], wrongVars)).not.toBe(0);
    await run(['--config', wrong, 'status'], wrongVars);
    await run(['--config', wrong, 'doctor'], wrongVars);

    // A server that reflects the request body, with the password, in its fault text.
    for (const endpoint of lab.endpoints) await lab.setFault(endpoint.name, { kind: 'reflectRequest' });
    try {
      const reflected = writeConfig('reflect', 'LAB_PASSWORD', hookScript(join(work, 'reflect'), 0));
      expect(await run(['--config', reflected, '--verbose', 'enroll'], vars)).not.toBe(0);
      await run(['--config', reflected, '--json', 'enroll'], vars);
      await run(['--config', reflected, 'status'], vars);
      await run(['--config', reflected, '--json', 'status'], vars);
      await run(['--config', reflected, 'doctor'], vars);
      await run(['--config', good, '--verbose', 'renew', '--force'], vars);
      const out = join(work, 'oneshot-reflect');
      await run(['--verbose', 'request', '--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', 'TestInstant', '--username', 'canary-user', '--password-stdin', '--subject', 'CN=one.lab.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out', out], {}, `${CANARY_PASSWORD}\n`);
    } finally {
      for (const endpoint of lab.endpoints) await lab.setFault(endpoint.name, null);
    }
    // The service itself (the built CLI as a process) for a few seconds, with the reflecting
    // server switched on again: its log lines are swept too.
    for (const endpoint of lab.endpoints) await lab.setFault(endpoint.name, { kind: 'reflectRequest' });
    try {
      const reflected = join(work, 'reflect', 'config.yaml');
      transcripts.push(await runService(reflected, { ...process.env, ...vars }, 6_000));
    } finally {
      for (const endpoint of lab.endpoints) await lab.setFault(endpoint.name, null);
    }

    const out = join(work, 'oneshot');
    expect(await run(['request', '--policy-server', lab.endpoint(CEP_USERNAME).url, '--template', 'TestInstant', '--username', 'canary-user', '--password-stdin', '--subject', 'CN=one.lab.test', '--key', 'ec:p256', '--ca-file', lab.trustBundlePath, '--out', out], {}, `${CANARY_PASSWORD}\n`)).toBe(0);

    // The reflecting server really sent the password back (the sweep would find it unredacted).
    expect(transcripts.join('\n')).toContain('[REDACTED]');
    expect(transcripts.find((t) => t.startsWith('$ run'))).toMatch(/"event":"(policy|certificate)\./);
    const hookEnv = readFileSync(join(work, 'good', 'hook-env.txt'), 'utf8');
    expect(hookEnv).toContain('AUTOENROLL_THUMBPRINT=');
    expect(hookEnv).not.toMatch(/^LAB_PASSWORD=/m);
    expect(hookEnv).not.toMatch(/^CANARY_PFX=/m);

    const findings: string[] = [];
    const texts: [string, string][] = transcripts.map((t, i) => [`transcript ${i}`, t]);
    for (const dir of ['good', 'failing-hook', 'wrong', 'reflect', 'oneshot', 'oneshot-reflect']) {
      // The one-shot request against the reflecting policy server is refused before anything is
      // sent, and such a request leaves no --out folder; every other folder must exist.
      if (dir === 'oneshot-reflect' && !existsSync(join(work, dir))) continue;
      for (const file of filesUnder(join(work, dir))) {
        if (file.endsWith('config.yaml') || file.endsWith('.sh')) continue;
        texts.push([file, readFileSync(file).toString('latin1')]);
      }
    }
    for (const [where, text] of texts) {
      for (const canary of CANARIES) for (const form of forms(canary)) if (text.includes(form)) findings.push(`${where}: ${form}`);
    }
    console.log(`canary sweep: ${texts.length} texts (${transcripts.length} command transcripts) searched, ${findings.length} findings`);
    expect(findings).toEqual([]);
  }, 180_000);
});
