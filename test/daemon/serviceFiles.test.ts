import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SERVICE_PARAMS,
  renderLaunchdPlist,
  renderSystemdUnit,
  unitFilePath,
} from '../../src/daemon/serviceFiles.js';

const repo = path.resolve(import.meta.dirname, '../..');
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
if (!systemdAnalyze) console.warn('systemd-analyze is not installed: the unit verification test is skipped');

function directives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

describe('service files', () => {
  it('the shipped unit and plist are the renders with the default paths', () => {
    expect(readFileSync(path.join(repo, 'service/autoenroll.service'), 'utf8')).toBe(renderSystemdUnit(DEFAULT_SERVICE_PARAMS));
    expect(readFileSync(path.join(repo, 'service/com.autoenroll.agent.plist'), 'utf8')).toBe(renderLaunchdPlist(DEFAULT_SERVICE_PARAMS));
  });

  it('the systemd unit is hardened, notifies readiness and never sets MemoryDenyWriteExecute', () => {
    const unit = renderSystemdUnit({ ...DEFAULT_SERVICE_PARAMS, credentials: ['enrollment-password'], writablePaths: ['/etc/ssl/autoenroll'] });
    const d = directives(unit);
    expect(d.get('Type')).toEqual(['notify']);
    expect(d.get('StateDirectory')).toEqual(['autoenroll']);
    expect(d.get('ProtectSystem')).toEqual(['strict']);
    expect(d.get('ProtectHome')).toEqual(['yes']);
    expect(d.get('PrivateTmp')).toEqual(['yes']);
    expect(d.get('NoNewPrivileges')).toEqual(['yes']);
    expect(d.get('CapabilityBoundingSet')).toEqual(['']);
    expect(d.get('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6']);
    expect(d.get('LoadCredential')).toEqual(['enrollment-password:/etc/autoenroll/credentials/enrollment-password']);
    expect(d.get('ReadWritePaths')).toEqual(['/etc/ssl/autoenroll']);
    expect(d.has('MemoryDenyWriteExecute')).toBe(false);
    expect(d.get('ExecStart')).toEqual(['/usr/bin/node /usr/lib/node_modules/autoenroll/bin/autoenroll.js run --config /etc/autoenroll/config.yaml']);
  });

  it('quotes paths with spaces and escapes % and $ in ExecStart', () => {
    const unit = renderSystemdUnit({ ...DEFAULT_SERVICE_PARAMS, configPath: '/etc/auto enroll/50%$x.yaml' });
    expect(directives(unit).get('ExecStart')![0]).toContain('"/etc/auto enroll/50%%$$x.yaml"');
  });

  it.skipIf(!systemdAnalyze)('systemd-analyze verify accepts the unit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-unit-'));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'certificates: []\n');
    // verify checks that the ExecStart binary exists: point it at this node and this checkout.
    const file = path.join(dir, 'autoenroll.service');
    writeFileSync(
      file,
      renderSystemdUnit({ nodePath: process.execPath, cliPath: path.join(repo, 'bin/autoenroll.js'), configPath: config, credentials: ['enrollment-password'], writablePaths: [dir] }),
    );
    const result = spawnSync(systemdAnalyze!, ['verify', file], { encoding: 'utf8' });
    // Lines about other units on this machine are not ours; anything naming our file is.
    const ours = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes('autoenroll.service'));
    expect(ours).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('the launchd plist is well-formed and runs `run --config`', () => {
    const plist = renderLaunchdPlist({ ...DEFAULT_SERVICE_PARAMS, configPath: '/Library/Application Support/autoenroll/config.yaml' });
    expect(plist).toContain('<string>com.autoenroll.agent</string>');
    expect(plist).toContain('<string>/Library/Application Support/autoenroll/config.yaml</string>');
    const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
    if (hasXmllint) execFileSync('xmllint', ['--noout', '-'], { input: plist });
  });

  it('puts each OS file in its place, or in --unit-dir', () => {
    expect(unitFilePath('linux', undefined)).toBe('/etc/systemd/system/autoenroll.service');
    expect(unitFilePath('darwin', undefined)).toBe('/Library/LaunchDaemons/com.autoenroll.agent.plist');
    expect(unitFilePath('win32', undefined, { ProgramData: 'D:\\Data' })).toBe('D:\\Data\\autoenroll\\autoenroll-task.xml');
    expect(unitFilePath('win32', undefined, {})).toBe('C:\\ProgramData\\autoenroll\\autoenroll-task.xml');
    expect(unitFilePath('win32', '/tmp/stage', {})).toBe('/tmp/stage/autoenroll-task.xml');
    expect(unitFilePath('freebsd', undefined)).toBeNull();
  });
});
