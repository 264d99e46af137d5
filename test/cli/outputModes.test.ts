// What a failing command shows, on a pipe and on a terminal (a pseudo-terminal from util-linux
// `script`): one result line for one fault, not a WARN, an ERROR and the result; every attempt with
// --verbose; colours on a terminal unless NO_COLOR or --no-color; JSON lines on a pipe or with
// AUTOENROLL_LOG_FORMAT=json; --quiet with --verbose is a usage error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasTool } from '../helpers/tools.js';

const hasScript = hasTool('script', ['--version']);
if (!hasScript) console.warn('[skip] script (util-linux) is not installed: the terminal output tests are skipped');
const ESC = '\u001b[';

describe('output of a failing command', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'ae-output-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const config = path.join(work, 'config.yaml');
  writeFileSync(
    config,
    `stateDir: ./state
policyServers:
  - url: https://127.0.0.1:1/CEP
    auth: username
    username: EXAMPLE\\enroll
    password: { env: PW }
certificates:
  - id: web
    template: WebServer
    subject: CN=web.example.com
`,
  );
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, PW: 'x', TERM: 'xterm', ...extra };
    return base;
  };
  const piped = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [CLI, '--config', config, ...args], { encoding: 'utf8', env: env(extra), timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** On a pseudo-terminal: stdout and stderr both go to it, so the output is their interleaving. */
  const onTerminal = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const line = [process.execPath, CLI, '--config', config, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', env: env(extra), timeout: 60_000 });
    return { code: r.status, out: r.stdout.replace(/\r\n/g, '\n') };
  };

  it('prints one result line for one fault, and the state word once', () => {
    const r = piped(['enroll']);
    expect(r.code).toBe(3);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^web: NEEDS_ATTENTION — the only endpoint is unreachable:\n {2}- https:\/\/127\.0\.0\.1:1\/CEP: .*connection refused.*\[CONNECTION_REFUSED\]\n$/);
    expect(r.out).not.toContain('needs attention');
  });

  it('--verbose logs each attempt with its endpoint, as JSON lines on a pipe', () => {
    const r = piped(['--verbose', 'enroll']);
    const events = r.err.trim().split('\n').map((l) => JSON.parse(l) as { event: string; url?: string });
    expect(events).toContainEqual(expect.objectContaining({ event: 'policy.server_failed', url: 'https://127.0.0.1:1/CEP' }));
    expect(events.map((e) => e.event)).toContain('policy.unavailable');
  });

  it('--quiet with --verbose is a usage error on one line', () => {
    const r = piped(['--quiet', '--verbose', 'status']);
    expect(r.code).toBe(4);
    expect(r.err).toBe('autoenroll: error [CONFLICTING_OPTIONS]: --quiet and --verbose contradict each other: give one of them\n');
  });

  it.runIf(hasScript)('on a terminal: coloured text lines; none with NO_COLOR or --no-color; JSON on request', () => {
    const coloured = onTerminal(['--verbose', 'enroll']);
    expect(coloured.code).toBe(3);
    // Yellow level, bold event name.
    expect(coloured.out).toContain(`${ESC}33mWARN ${ESC}0m ${ESC}1mpolicy.server_failed${ESC}0m url=https://127.0.0.1:1/CEP`);
    expect(coloured.out).toContain('web: NEEDS_ATTENTION — the only endpoint is unreachable');

    for (const [args, extra] of [[['--verbose', 'enroll'], { NO_COLOR: '1' }], [['--verbose', '--no-color', 'enroll'], {}], [['--verbose', 'enroll'], { TERM: 'dumb' }]] as const) {
      const plain = onTerminal([...args], extra);
      expect(plain.out, JSON.stringify(extra)).not.toContain(ESC);
      expect(plain.out).toMatch(/^\d\d:\d\d:\d\d WARN {2}policy\.server_failed url=/m);
    }

    const json = onTerminal(['--verbose', 'enroll'], { AUTOENROLL_LOG_FORMAT: 'json' });
    expect(json.out).toMatch(/^\{"time":"[^"]+","level":"warn","event":"policy\.server_failed"/m);
    expect(json.out).not.toContain(ESC);
  });

  it.runIf(hasScript)('on a terminal without --verbose: only the result line', () => {
    const r = onTerminal(['enroll']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^web: NEEDS_ATTENTION — the only endpoint is unreachable:\n {2}- https:\/\/127\.0\.0\.1:1\/CEP: [^\n]+\n$/);
  });
});

describe('demo --quiet', () => {
  it('prints nothing when every step holds (only errors would be printed)', () => {
    const r = spawnSync(process.execPath, [CLI, '--quiet', 'demo'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmpdir() }, timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  }, 200_000);
});

describe('npm start --silent -- --json (as the README says)', () => {
  it.runIf(hasTool('npm', ['--version']))('gives one JSON document on stdout', () => {
    const repo = path.resolve(import.meta.dirname, '../..');
    const r = spawnSync('npm', ['start', '--silent', '--', '--json', '--quiet'], { cwd: repo, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, exitCode: 0 });
  }, 200_000);
});
