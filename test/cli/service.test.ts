import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { run as serviceRun } from '../../src/cli/commands/service.js';
import { captureContext } from '../helpers/cliContext.js';

const repo = path.resolve(import.meta.dirname, '../..');

function configIn(dir: string): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    `stateDir: ./state
policyServers:
  - url: https://cep.example.com/CEP
    auth: username
    username: EXAMPLE\\enroll
    password: { systemdCredential: enrollment-password }
certificates:
  - id: web
    template: WebServer
    output: { cert: /etc/ssl/autoenroll/web.pem, key: /etc/ssl/autoenroll/web.key, chain: ./state/out/chain.pem }
`,
  );
  return file;
}

describe('autoenroll service', () => {
  it('install --unit-dir writes a unit for this installation and only prints the activation', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
    const config = configIn(dir);
    const unitDir = path.join(dir, 'units');
    const ctx = captureContext();
    const code = await runCli(['--config', config, 'service', 'install', '--unit-dir', unitDir], ctx);
    expect(ctx.err()).toBe('');
    expect(code).toBe(0);
    const unitPath = path.join(unitDir, 'autoenroll.service');
    const unit = readFileSync(unitPath, 'utf8');
    expect(statSync(unitPath).mode & 0o777).toBe(0o644);
    expect(unit).toMatch(new RegExp(`^ExecStart=${process.execPath.replace(/[/.]/g, '\\$&')} \\S+autoenroll\\.js run --config ${config.replace(/[/.]/g, '\\$&')}$`, 'm'));
    expect(unit).toContain('LoadCredential=enrollment-password:/etc/autoenroll/credentials/enrollment-password\n');
    // The state folder (not the default one) and the output folders outside it become writable.
    expect(unit).toContain(`ReadWritePaths=${path.join(dir, 'state')} /etc/ssl/autoenroll\n`);
    expect(ctx.out()).toContain('systemctl daemon-reload');
    expect(ctx.out()).toContain('systemctl enable --now autoenroll.service');
  });

  it('--dry-run prints the unit and the commands and writes nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
    const ctx = captureContext();
    const code = await runCli(['--config', configIn(dir), '--json', 'service', 'install', '--dry-run'], ctx);
    expect(code).toBe(0);
    const out = JSON.parse(ctx.out()) as { dryRun: boolean; unitPath: string; steps: Array<{ kind: string; path?: string; argv?: string[]; content?: string }> };
    expect(out.dryRun).toBe(true);
    expect(out.unitPath).toBe('/etc/systemd/system/autoenroll.service');
    // The ReadWritePaths= folders are made first (a missing one stops the unit from starting).
    expect(out.steps.map((s) => s.kind)).toEqual(['mkdir', 'mkdir', 'write', 'run', 'run']);
    expect(out.steps[2]!.content).toContain('Type=notify');
    expect(out.steps[4]!.argv).toEqual(['systemctl', 'enable', '--now', 'autoenroll.service']);
    expect(existsSync('/etc/systemd/system/autoenroll.service') && readFileSync('/etc/systemd/system/autoenroll.service', 'utf8').includes(dir)).toBe(false);
  });

  it('uninstall --unit-dir removes the staged unit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
    const config = configIn(dir);
    const unitDir = path.join(dir, 'units');
    await runCli(['--config', config, 'service', 'install', '--unit-dir', unitDir], captureContext());
    const ctx = captureContext();
    expect(await runCli(['--config', config, 'service', 'uninstall', '--unit-dir', unitDir], ctx)).toBe(0);
    expect(existsSync(path.join(unitDir, 'autoenroll.service'))).toBe(false);
    expect(ctx.out()).toContain('systemctl disable --now autoenroll.service');
  });

  it('on macOS installs a LaunchDaemon and bootstraps it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
    const config = configIn(dir);
    const mac = captureContext();
    await serviceRun({ verb: 'install', dryRun: true, platform: 'darwin' }, { ...mac, globals: { config, json: true, verbose: false, quiet: false } });
    const macPlan = JSON.parse(mac.out()) as { unitPath: string; steps: Array<{ argv?: string[] }> };
    expect(macPlan.unitPath).toBe('/Library/LaunchDaemons/com.autoenroll.agent.plist');
    expect(macPlan.steps[1]!.argv).toEqual(['launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.autoenroll.agent.plist']);
  });

  describe('on Windows (simulated)', () => {
    const winEnv = { ...process.env, ProgramData: 'C:\\ProgramData', SystemRoot: 'C:\\Windows' };
    const globals = (config: string, json: boolean) => ({ config, json, verbose: false, quiet: false });

    it('--dry-run prints the task XML and the schtasks commands, and says why no sc.exe service', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ae svc-'));
      const config = configIn(dir);
      const win = captureContext({ env: winEnv });
      expect(await serviceRun({ verb: 'install', dryRun: true, platform: 'win32' }, { ...win, globals: globals(config, false) })).toBe(0);
      const out = win.out();
      expect(win.err()).toBe('');
      expect(out).toContain('  - write C:\\ProgramData\\autoenroll\\autoenroll-task.xml (mode 644, utf-16le-bom)\n');
      expect(out).toContain(`      <Arguments>"${path.join(repo, 'bin/autoenroll.js')}" run --config "${config}"</Arguments>\n`);
      expect(out).toContain(`  - create the folder ${path.join(dir, 'state')}\n`);
      expect(out).toContain(`  - run C:\\Windows\\System32\\icacls.exe "${path.join(dir, 'state')}" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F\n`);
      expect(out).toContain('  - run C:\\Windows\\System32\\schtasks.exe /Create /TN \\autoenroll\\agent /XML C:\\ProgramData\\autoenroll\\autoenroll-task.xml /F\n');
      expect(out).toContain('  - run C:\\Windows\\System32\\schtasks.exe /Run /TN \\autoenroll\\agent\n');
      expect(out).not.toContain('sc.exe');
      expect(out).toMatch(/note: the agent runs as the scheduled task \\autoenroll\\agent/);
    });

    it('--json --dry-run gives the same plan as data', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
      const win = captureContext({ env: winEnv });
      await serviceRun({ verb: 'install', dryRun: true, platform: 'win32' }, { ...win, globals: globals(configIn(dir), true) });
      const plan = JSON.parse(win.out()) as { platform: string; unitPath: string; steps: Array<{ kind: string; encoding?: string; argv?: string[] }> };
      expect(plan.platform).toBe('win32');
      expect(plan.unitPath).toBe('C:\\ProgramData\\autoenroll\\autoenroll-task.xml');
      expect(plan.steps.map((s) => s.kind)).toEqual(['write', 'mkdir', 'run', 'run', 'run']);
      expect(plan.steps[0]!.encoding).toBe('utf-16le-bom');
      expect(plan.steps[4]!.argv).toEqual(['C:\\Windows\\System32\\schtasks.exe', '/Run', '/TN', '\\autoenroll\\agent']);
    });

    it('install --unit-dir writes the UTF-16 task file there and prints the commands; uninstall removes it', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
      const config = configIn(dir);
      const unitDir = path.join(dir, 'task dir');
      const win = captureContext({ env: winEnv });
      expect(await serviceRun({ verb: 'install', unitDir, platform: 'win32' }, { ...win, cwd: dir, globals: globals(config, false) })).toBe(0);
      const file = path.join(unitDir, 'autoenroll-task.xml');
      const bytes = readFileSync(file);
      expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
      expect(bytes.subarray(2).toString('utf16le')).toContain('<Command>');
      expect(win.out()).toContain(`then, to activate it:\n  mkdir ${path.join(dir, 'state')}\n`);
      expect(win.out()).toContain(`  C:\\Windows\\System32\\schtasks.exe /Create /TN \\autoenroll\\agent /XML "${file}" /F\n`);

      const un = captureContext({ env: winEnv });
      expect(await serviceRun({ verb: 'uninstall', unitDir, platform: 'win32' }, { ...un, globals: globals(config, false) })).toBe(0);
      expect(existsSync(file)).toBe(false);
      expect(un.out()).toContain('  C:\\Windows\\System32\\schtasks.exe /End /TN \\autoenroll\\agent\n');
      expect(un.out()).toContain('  C:\\Windows\\System32\\schtasks.exe /Delete /TN \\autoenroll\\agent /F\n');
    });
  });

  it('status reports that no service answers when none runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-svc-'));
    const ctx = captureContext();
    await runCli(['--config', configIn(dir), 'service', 'status', '--unit-dir', path.join(dir, 'units')], ctx);
    expect(ctx.out()).toContain('live: no running service answers on the control socket');
  });
});
