// `credentials list` and `credentials delete` with the built CLI run as a process against a real
// Secret Service: gnome-keyring-daemon in a private D-Bus session (never the user's own keyring).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasTool } from '../helpers/tools.js';

const hasSecretService = hasTool('gnome-keyring-daemon', ['--version']) && hasTool('dbus-run-session', ['--version']);
if (!hasSecretService) console.warn('[skip] gnome-keyring-daemon or dbus-run-session is not installed: credentials list/delete against a real keyring are skipped');

describe.skipIf(!hasSecretService && process.env.CI !== 'true')('credentials list and delete', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'autoenroll-credentials-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lists the stored names with where the configuration uses them, never a password; deletes one', () => {
    const config = path.join(work, 'config.yaml');
    writeFileSync(
      config,
      [
        'stateDir: ./state',
        'policyServers:',
        '  - url: https://cep.example.com/CEP',
        '    auth: username',
        '    username: EXAMPLE\\enroll',
        '    password: { keyring: enroll }',
        '  - url: https://cep2.example.com/CEP',
        '    auth: username',
        '    username: EXAMPLE\\enroll',
        '    password: { keyring: spare }',
        'certificates:',
        '  - id: web',
        '    template: Web',
        '    subject: CN=web.example.com',
        '',
      ].join('\n'),
    );
    const node = process.execPath;
    const ae = `"${node}" "${CLI}" --config "${config}"`;
    const mark = (name: string, command: string) => `${command} >"${work}/${name}.out" 2>"${work}/${name}.err"; echo $? >"${work}/${name}.code"`;
    const script = [
      'echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
      mark('set', `echo 'S3cret pass' | ${ae} credentials set enroll`),
      mark('setOther', `echo 'other pw' | ${ae} credentials set unused`),
      mark('list', `${ae} credentials list`),
      mark('listJson', `${ae} --json credentials list`),
      mark('delete', `${ae} credentials delete unused`),
      mark('deleteAgain', `${ae} credentials delete unused`),
      mark('after', `${ae} --json credentials list`),
      mark('cleanup', `${ae} credentials delete enroll`),
    ].join('\n');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, XDG_DATA_HOME: path.join(work, 'data'), XDG_RUNTIME_DIR: work };
    const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { encoding: 'utf8', env, timeout: 60_000, cwd: work });
    expect(r.status, r.stderr).toBe(0);
    const read = (name: string) => ({
      code: Number(readFileSync(`${work}/${name}.code`, 'utf8')),
      out: readFileSync(`${work}/${name}.out`, 'utf8'),
      err: readFileSync(`${work}/${name}.err`, 'utf8'),
    });
    expect(read('set').code, read('set').err).toBe(0);
    const list = read('list');
    expect(list.code, list.err).toBe(0);
    expect(list.out).toBe(
      'enroll  stored  used by policyServers[0].password\nspare  MISSING (referenced but not stored: autoenroll credentials set spare)  used by policyServers[1].password\nunused  stored\n',
    );
    expect(list.out + list.err + read('listJson').out).not.toMatch(/S3cret|other pw/);
    expect(JSON.parse(read('listJson').out)).toEqual({
      service: 'autoenroll',
      credentials: [
        { name: 'enroll', stored: true, usedBy: ['policyServers[0].password'] },
        { name: 'spare', stored: false, usedBy: ['policyServers[1].password'] },
        { name: 'unused', stored: true, usedBy: [] },
      ],
    });
    expect(read('delete')).toMatchObject({ code: 0, err: 'autoenroll: deleted the password for "unused" from the OS keyring\n' });
    const again = read('deleteAgain');
    expect(again.code).toBe(4);
    expect(again.err).toContain('[SECRET_KEYRING_MISSING]');
    expect(again.err).toContain('autoenroll credentials list');
    expect((JSON.parse(read('after').out) as { credentials: { name: string }[] }).credentials.map((c) => c.name)).toEqual(['enroll', 'spare']);
    expect(read('cleanup').code).toBe(0);
  });
});
