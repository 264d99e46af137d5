import { describe, expect, it } from 'vitest';
import { defaultConfigPath, defaultStateDir, resolveConfigPath } from '../../src/config/configPath.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('config path', () => {
  it('has an OS default per platform', () => {
    expect(defaultConfigPath('linux', {})).toBe('/etc/autoenroll/config.yaml');
    expect(defaultConfigPath('darwin', {})).toBe('/Library/Application Support/autoenroll/config.yaml');
    expect(defaultConfigPath('win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\autoenroll\\config.yaml');
    expect(defaultStateDir('linux', {})).toBe('/var/lib/autoenroll');
    expect(defaultStateDir('win32', { PROGRAMDATA: 'E:\\Data' })).toBe('E:\\Data\\autoenroll\\state');
  });

  it('prefers --config, then $AUTOENROLL_CONFIG, then the default', () => {
    const env = { AUTOENROLL_CONFIG: '/srv/ae.yaml' };
    expect(resolveConfigPath('/opt/c.yaml', env)).toBe('/opt/c.yaml');
    expect(resolveConfigPath(undefined, env)).toBe('/srv/ae.yaml');
    expect(resolveConfigPath(undefined, {}, { platform: 'linux' })).toBe('/etc/autoenroll/config.yaml');
    expect(resolveConfigPath('rel.yaml', {}, { cwd: '/home/x' })).toBe('/home/x/rel.yaml');
  });
});

describe('durations', () => {
  it('reads units and compounds into milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('8h')).toBe(28_800_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
  });

  it('refuses bare numbers and unknown units', () => {
    for (const text of ['30', '', '10 s', '5y', 'h', '-1s', '1s2']) expect(parseDuration(text)).toBeUndefined();
  });

  it('formats back', () => {
    expect(formatDuration(28_800_000)).toBe('8h');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
  });
});
