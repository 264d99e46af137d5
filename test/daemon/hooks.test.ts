import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HookConfig } from '../../src/config/types.js';
import { createHookRunner, runHookCommand } from '../../src/daemon/hooks.js';
import type { DeployEvent } from '../../src/engine/agentTypes.js';
import { createLogger } from '../../src/log/logger.js';
import { HookFailed } from '../../src/errors.js';

const node = JSON.stringify(process.execPath);

/** Alive and not a zombie (an orphan killed here may wait for a reaper that is slow to come). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function capturingLogger() {
  let text = '';
  const logger = createLogger({ sink: { write: (chunk: string) => (text += chunk) }, format: 'json' });
  return { logger, events: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function deployEvent(dir: string, hooks: Partial<HookConfig>): DeployEvent {
  return {
    id: 'web',
    generation: 3,
    certPath: path.join(dir, 'web.pem'),
    keyPath: path.join(dir, 'web.key'),
    chainPath: path.join(dir, 'chain.pem'),
    fullchainPath: null,
    pfxPath: null,
    oldThumbprint: 'AA'.repeat(20),
    newThumbprint: 'BB'.repeat(20),
    notAfter: '2030-01-01T00:00:00.000Z',
    hooks: { deploy: [], failure: [], timeoutMs: 10_000, shell: false, ...hooks },
  };
}

describe('hooks', () => {
  it('deploy runs each command without a shell, with the documented environment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-hook-'));
    const script = path.join(dir, 'dump env.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
       const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AUTOENROLL_')));
       writeFileSync(process.argv[2], JSON.stringify({ env, argv: process.argv.slice(2) }));`,
    );
    const out = path.join(dir, 'out.json');
    const { logger, events } = capturingLogger();
    await createHookRunner({ logger }).deploy(deployEvent(dir, { deploy: [`${node} '${script}' ${out} '$HOME; echo'`] }));
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string>; argv: string[] };
    expect(seen.argv).toEqual([out, '$HOME; echo']);
    expect(seen.env).toEqual({
      AUTOENROLL_EVENT: 'deploy',
      AUTOENROLL_ID: 'web',
      AUTOENROLL_GENERATION: '3',
      AUTOENROLL_CERT: path.join(dir, 'web.pem'),
      AUTOENROLL_KEY: path.join(dir, 'web.key'),
      AUTOENROLL_CHAIN: path.join(dir, 'chain.pem'),
      AUTOENROLL_FULLCHAIN: '',
      AUTOENROLL_PFX: '',
      AUTOENROLL_THUMBPRINT: 'BB'.repeat(20),
      AUTOENROLL_OLD_THUMBPRINT: 'AA'.repeat(20),
      AUTOENROLL_NOT_AFTER: '2030-01-01T00:00:00.000Z',
    });
    expect(events()).toMatchObject([{ event: 'hook.succeeded', id: 'web', hook: 'deploy', exitCode: 0 }]);
  });

  it('a failing deploy command rejects with HookFailed naming the status, and stops the list', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-hook-'));
    const marker = path.join(dir, 'second-ran');
    const { logger, events } = capturingLogger();
    const hooks = createHookRunner({ logger });
    const error = await hooks
      .deploy(deployEvent(dir, { deploy: [`${node} -e "console.error('reload failed'); process.exit(3)"`, `${node} -e "require('fs').writeFileSync('${marker}','')"`] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookFailed);
    expect((error as HookFailed).exitCode).toBe(6);
    expect((error as Error).message).toMatch(/exited with status 3/);
    expect((error as Error).message).toMatch(/stays installed/);
    expect(existsSync(marker)).toBe(false);
    expect(events()).toMatchObject([{ event: 'hook.failed', exitCode: 3, output: 'reload failed' }]);
  });

  it('a command that cannot start is a failure, not a crash', async () => {
    const { logger } = capturingLogger();
    await expect(createHookRunner({ logger }).deploy(deployEvent(tmpdir(), { deploy: ['/nonexistent/reload-it'] }))).rejects.toThrow(/could not be started/);
  });

  it.skipIf(process.platform === 'win32')('a hook that outlives its timeout is killed with its whole process group', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-hook-'));
    const pidFile = path.join(dir, 'grandchild.pid');
    // The hook starts a grandchild that would outlive it, then hangs.
    const script = `const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});require('fs').writeFileSync('${pidFile}',String(c.pid));setInterval(()=>{},1000)`;
    const run = await runHookCommand(`${node} -e "${script}"`, { shell: false, timeoutMs: 500, env: process.env });
    expect(run.timedOut).toBe(true);
    expect(run.signal).toBe('SIGTERM');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(isRunning(grandchild)).toBe(false);
  });

  it('shell: true runs the line through the system shell', async () => {
    const run = await runHookCommand('test "$AUTOENROLL_ID" = web && exit 4', { shell: true, timeoutMs: 5_000, env: { ...process.env, AUTOENROLL_ID: 'web' } });
    expect(run.exitCode).toBe(4);
  });

  it('failure hooks get the error and never throw', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-hook-'));
    const out = path.join(dir, 'failure.txt');
    const { logger } = capturingLogger();
    const hooks = createHookRunner({ logger });
    await hooks.failure({
      id: 'web',
      action: 'renew',
      error: { code: 'UNREACHABLE', message: 'every endpoint was down' },
      thumbprint: 'CC',
      notAfter: null,
      hooks: { deploy: [], failure: [`${node} -e "require('fs').writeFileSync('${out}', process.env.AUTOENROLL_EVENT+' '+process.env.AUTOENROLL_ERROR_CODE)"`, 'false-command-that-does-not-exist'], timeoutMs: 5_000, shell: false },
    });
    expect(readFileSync(out, 'utf8')).toBe('failure UNREACHABLE');
  });
});
