// Progress on long waits, with the built CLI on a pseudo-terminal (util-linux `script`) against a
// lab endpoint that answers after 3.5 s: a status line says what is waited for and for how long,
// and is erased when the answer comes; on a pipe there is none.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasTool } from '../helpers/tools.js';
import { CEP_USERNAME, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

const hasScript = hasTool('script', ['--version']);
if (!hasScript) console.warn('[skip] script (util-linux) is not installed: the progress line test is skipped');

describe.runIf(hasScript || process.env.CI === 'true')('progress on a slow server', () => {
  let env: AgentLab;
  beforeAll(async () => {
    env = await startAgentLab();
    await env.lab.setFault(CEP_USERNAME, { kind: 'slow', delayMs: 3500 });
  });
  afterAll(async () => env?.close());
  const run = (file: string, args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      execFile(file, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: env.work, LAB_PASSWORD: env.password, TERM: 'xterm' }, timeout: 90_000 }, (error, out, err) => {
        resolve({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, out, err });
      });
    });

  it('shows what it waits for and for how long on a terminal, then erases the line', async () => {
    const config = env.writeConfig('slow-tty', [{ id: 'web', template: 'TestInstant' }]);
    const line = [process.execPath, CLI, '--config', config, 'enroll'].map((a) => `'${a}'`).join(' ');
    const r = await run('script', ['-qec', line, '/dev/null']);
    expect(r.code, r.out).toBe(0);
    // Escape sequences made readable: ESC[K (erase the line) as <erase>.
    const out = r.out.split(`\r${'\u001b'}[K`).join('<erase>');
    expect(out).toMatch(/<erase>waiting for 127\.0\.0\.1:\d+\/ADPolicyProvider_CEP_UsernamePassword\/service\.svc\/CEP: [2-9] s of at most 10 s/);
    // Erased before the result line.
    expect(out).toMatch(/ s of at most 10 s<erase>[\s\S]*web: VALID issued/);
  });

  it('shows nothing on a pipe', async () => {
    const config = env.writeConfig('slow-pipe', [{ id: 'web', template: 'TestInstant' }]);
    const r = await run(process.execPath, [CLI, '--config', config, 'enroll']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toContain('waiting for');
  });
});
