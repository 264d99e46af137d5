// The environment of hooks and other children: the minimal set, the allow-list, the facts; nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { childEnvironment } from '../../src/daemon/childEnvironment.js';
import { clearSecrets, registerSecret } from '../../src/secrets/redactor.js';

describe('childEnvironment', () => {
  afterEach(() => clearSecrets());
  const parent = { PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8', LC_TIME: 'de_DE.UTF-8', TZ: 'UTC', LAB_PASSWORD: 'hunter2-secret', HTTPS_PROXY: 'http://u:p@proxy', AUTOENROLL_CONFIG: '/etc/x.yaml', CREDENTIALS_DIRECTORY: '/run/creds', EXTRA: 'yes' };

  it('passes the minimal set and the facts, not the rest of the agent environment', () => {
    const env = childEnvironment(parent, { AUTOENROLL_ID: 'web' }, [], 'linux');
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8', LC_TIME: 'de_DE.UTF-8', TZ: 'UTC', AUTOENROLL_ID: 'web' });
  });
  it('passes allow-listed names and redacts every registered secret value', () => {
    registerSecret('hunter2-secret');
    const env = childEnvironment(parent, { AUTOENROLL_ERROR_MESSAGE: 'server said hunter2-secret' }, ['EXTRA', 'LAB_PASSWORD'], 'linux');
    expect(env.EXTRA).toBe('yes');
    expect(env.LAB_PASSWORD).toBe('[REDACTED]');
    expect(env.AUTOENROLL_ERROR_MESSAGE).toBe('server said [REDACTED]');
  });
  it('keeps what Windows needs to start a process', () => {
    const env = childEnvironment({ SystemRoot: 'C:\\Windows', PATHEXT: '.EXE', Path: 'C:\\bin', SECRET: 'x' }, {}, [], 'win32');
    expect(env).toEqual({ SystemRoot: 'C:\\Windows', PATHEXT: '.EXE', Path: 'C:\\bin' });
  });
});
