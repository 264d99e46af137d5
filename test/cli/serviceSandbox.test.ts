// `service install` fits the unit to the configuration: the state folder and every output folder in
// ReadWritePaths= (ProtectSystem=strict), and a warning for each path the unit's ProtectHome=yes or
// PrivateTmp=yes hides from the service. The built CLI is run as a process; the unit it writes is
// checked by systemd-analyze verify (required under CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../daemon/helpers/serviceLab.js';

const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
if (!systemdAnalyze) console.warn('[skip] systemd-analyze is not installed: the verification of the generated unit is skipped');

interface Plan {
  steps: { kind: string; path?: string; mode?: number; content?: string }[];
  nextSteps: string[][];
  notes: string[];
}

describe.runIf(process.platform === 'linux')('service install and the unit sandbox', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'ae-sandbox-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const tag = path.basename(work);
  const writeConfig = (name: string, stateDir: string, out: string, extra = ''): string => {
    const file = path.join(work, `${name}.yaml`);
    writeFileSync(
      file,
      `stateDir: ${stateDir}
policyServers:
  - url: https://cep.example.com/CEP
    auth: username
    username: EXAMPLE\\enroll
    password: { env: PW }
certificates:
  - id: web
    template: WebServer
    output: { cert: ${out}/certs/web.pem, key: ${out}/private/web.key, chain: ${stateDir}/chain.pem }
${extra}`,
    );
    return file;
  };
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('--dry-run shows a unit whose ReadWritePaths hold the state folder and every output folder', () => {
    const stateDir = `/srv/${tag}/state`;
    const config = writeConfig('outside', stateDir, `/opt/${tag}`);
    const r = cli(['--config', config, '--json', 'service', 'install', '--dry-run']);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out) as Plan;
    const unit = plan.steps.find((s) => s.kind === 'write')!.content!;
    expect(unit).toContain(`\nReadWritePaths=${stateDir} /opt/${tag}/certs /opt/${tag}/private\n`);
    expect(plan.steps.filter((s) => s.kind === 'mkdir')).toEqual([
      { kind: 'mkdir', path: stateDir, mode: 0o700 },
      { kind: 'mkdir', path: `/opt/${tag}/certs`, mode: 0o755 },
      { kind: 'mkdir', path: `/opt/${tag}/private`, mode: 0o755 },
    ]);
    expect(existsSync(`/srv/${tag}`)).toBe(false);
    // The text form prints the unit too.
    const text = cli(['--config', config, 'service', 'install', '--dry-run']);
    expect(text.out).toContain(`      ReadWritePaths=${stateDir} /opt/${tag}/certs /opt/${tag}/private\n`);
  });

  it('the default state folder is left to StateDirectory=', () => {
    const r = cli(['--config', writeConfig('default', '/var/lib/autoenroll', '/etc/ssl/autoenroll'), '--json', 'service', 'install', '--dry-run']);
    const unit = (JSON.parse(r.out) as Plan).steps.find((s) => s.kind === 'write')!.content!;
    expect(unit).toContain('\nReadWritePaths=/etc/ssl/autoenroll/certs /etc/ssl/autoenroll/private\n');
    expect(unit).toContain('\nStateDirectory=autoenroll\n');
  });

  it('warns, in the text and in --json notes, about paths under /tmp and /home that the sandbox hides', () => {
    // The config itself lies under the temporary folder (PrivateTmp=yes); the state folder and an
    // output under /home (ProtectHome=yes).
    const config = writeConfig('home', `/home/${tag}/state`, `/home/${tag}/out`, 'trust:\n  caFile: /tmp/ca.pem\n');
    const r = cli(['--config', config, '--json', 'service', 'install', '--dry-run']);
    expect(r.code, r.err).toBe(0);
    const notes = (JSON.parse(r.out) as Plan).notes;
    if (config.startsWith('/tmp/')) expect(notes).toContainEqual(expect.stringMatching(new RegExp(`^the configuration \\(${config.replace(/[/.]/g, '\\$&')}\\) is under /tmp, .*PrivateTmp=yes.*will not find the file`)));
    expect(notes).toContainEqual(expect.stringMatching(/^trust\.caFile \(\/tmp\/ca\.pem\) is under \/tmp, .*PrivateTmp=yes/));
    expect(notes).toContainEqual(expect.stringMatching(new RegExp(`^stateDir \\(/home/${tag}/state\\) is under /home, which the unit hides from the service \\(ProtectHome=yes\\)`)));
    expect(notes).toContainEqual(expect.stringContaining(`certificates[web].output.key (/home/${tag}/out/private/web.key) is under /home`));
    const text = cli(['--config', config, 'service', 'install', '--dry-run']);
    expect(text.out).toMatch(/^note: stateDir \(\/home\/.*ProtectHome=yes/m);
  });

  it('no warning for a configuration that fits the sandbox', () => {
    const r = cli(['--config', writeConfig('fits', `/srv/${tag}/state`, `/opt/${tag}`), '--json', 'service', 'install', '--dry-run']);
    // A checkout under /tmp or /home (CI, a developer's clone) puts the CLI script and node there
    // too: those notes are right, and are about the checkout, not about this configuration.
    const checkout = path.resolve(import.meta.dirname, '../..');
    const checkoutHidden = /^\/(tmp|var\/tmp|home|root|run\/user)(\/|$)/.test(checkout);
    const notes = (JSON.parse(r.out) as Plan).notes.filter(
      (n) => !n.startsWith('the configuration (') && !(checkoutHidden && (n.includes(`(${checkout}/`) || n.startsWith('the executable ('))),
    );
    expect(notes).toEqual([]);
  });

  it.runIf(systemdAnalyze !== undefined || process.env.CI === 'true')('systemd-analyze verify accepts the unit written for a state folder and outputs outside the defaults', () => {
    const config = writeConfig('verify', `/srv/${tag}/state`, `/opt/${tag}`);
    const unitDir = path.join(work, 'units');
    const r = cli(['--config', config, 'service', 'install', '--unit-dir', unitDir]);
    expect(r.code, r.err).toBe(0);
    // Staged: the folders are left to the administrator, with the activation.
    expect(r.out).toContain(`mkdir -p -m 700 /srv/${tag}/state`);
    const unit = path.join(unitDir, 'autoenroll.service');
    expect(readFileSync(unit, 'utf8')).toContain(`ReadWritePaths=/srv/${tag}/state /opt/${tag}/certs /opt/${tag}/private`);
    const verify = spawnSync(systemdAnalyze ?? 'systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    const ours = `${verify.stdout}${verify.stderr}`.split('\n').filter((l) => l.includes('autoenroll.service'));
    expect(ours).toEqual([]);
    expect(verify.status).toBe(0);
  });
});
