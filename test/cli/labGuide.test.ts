// The lab for learning, with the built CLI as processes: `lab` prints durations in words and a
// configuration for itself that works as printed (also in --json); its short-lived key-based-renewal
// template issues at once; `lab approve ID` finds the running lab without --dir, says so when no lab
// runs, and tells to run `autoenroll retrieve`. TMPDIR is private, so no other lab is found.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { humanDuration } from '../../src/lab/labGuide.js';
import { CLI } from '../daemon/helpers/serviceLab.js';
import { hasOpenssl } from '../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'ae-lab-guide-'));
const privateTmp = mkdtempSync(join(work, 'tmp-'));
const env = { PATH: process.env.PATH, HOME: work, TMPDIR: privateTmp };
let lab: ChildProcess | undefined;
afterAll(() => {
  lab?.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const run = (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = work) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...env, ...extra }, cwd, timeout: 90_000 }, (error, out, err) => {
      resolve({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, out, err });
    });
  });

/** Starts `autoenroll lab` and resolves to everything it printed once its summary ends (text) or its JSON line arrived. */
function startLab(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'lab', '--port', '0', ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    lab = child;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (args.includes('--json') ? out.includes('\n') : out.includes('stop with Ctrl-C')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`lab exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`lab did not start: ${out}`)), 60_000);
  });
}
const stopLab = async (): Promise<void> => {
  const child = lab;
  lab = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
};

describe('durations in words', () => {
  it('uses the largest units that fit', () => {
    expect(humanDuration(365 * 86_400)).toBe('1 year');
    expect(humanDuration(42 * 86_400)).toBe('6 weeks');
    expect(humanDuration(2 * 86_400)).toBe('2 days');
    expect(humanDuration(8 * 3600)).toBe('8 hours');
    expect(humanDuration(600)).toBe('10 minutes');
    expect(humanDuration(90)).toBe('1 minute 30 seconds');
    expect(humanDuration(40)).toBe('40 seconds');
  });
});

describe.skipIf(!hasOpenssl)('the lab for learning', () => {
  it('prints durations in words and a configuration that works as printed', async () => {
    const dir = join(work, 'text-lab');
    const out = await startLab(['--dir', dir]);
    try {
      expect(out).toContain('LabWebServer  validity 1 year, renewal period 6 weeks');
      expect(out).toContain('LabKBRShort  validity 10 minutes, renewal period 4 minutes');
      const snippet = /^a configuration for this lab .*:\n((?: {2}.*\n)+)/m.exec(out)![1]!.replace(/^ {2}/gm, '');
      const password = /^then: AUTOENROLL_PASSWORD='([^']+)' autoenroll --config config\.yaml enroll$/m.exec(out)![1]!;
      const configDir = join(work, 'from-text');
      rmSync(configDir, { recursive: true, force: true });
      mkdirSync(configDir);
      writeFileSync(join(configDir, 'config.yaml'), snippet);
      const enrolled = await run(['--config', 'config.yaml', 'enroll'], { AUTOENROLL_PASSWORD: password }, configDir);
      expect(enrolled.code, enrolled.err + enrolled.out).toBe(0);
      expect(enrolled.out).toMatch(/^machine: VALID issued; generation 1/);
      const status = JSON.parse((await run(['--config', 'config.yaml', '--json', 'status'], {}, configDir)).out) as { template: string; notBefore: string; notAfter: string }[];
      expect(status[0]!.template).toBe('LabKBRShort');
      expect(Date.parse(status[0]!.notAfter) - Date.parse(status[0]!.notBefore)).toBeLessThanOrEqual(11 * 60_000);
    } finally {
      await stopLab();
    }
  });

  it('--json carries the configuration; lab approve finds the running lab and says to run retrieve', async () => {
    const dir = join(work, 'json-lab');
    const line = await startLab(['--dir', dir, '--json']);
    try {
      const summary = JSON.parse(line.split('\n')[0]!) as { config: Record<string, unknown>; configYaml: string; users: { password: string }[] };
      expect(parse(summary.configYaml)).toEqual(summary.config);
      const config = summary.config as { certificates: { template: string }[] };
      config.certificates[0]!.template = 'LabPending';
      const configDir = join(work, 'from-json');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(join(configDir, 'config.yaml'), stringify(config));
      const pending = await run(['--config', 'config.yaml', '--json', 'enroll'], { AUTOENROLL_PASSWORD: summary.users[0]!.password }, configDir);
      expect(pending.code, pending.err).toBe(5);
      const requestId = (JSON.parse(pending.out) as { certificates: { requestId: string }[] }).certificates[0]!.requestId;

      // No --dir: the running lab is found (its folder is not the default one).
      const approved = await run(['lab', 'approve', requestId]);
      expect(approved.code, approved.err).toBe(0);
      expect(approved.out).toContain(`request ${requestId} (LabPending on `);
      expect(approved.out).toContain('run `autoenroll retrieve`');
      const retrieved = await run(['--config', 'config.yaml', 'retrieve'], { AUTOENROLL_PASSWORD: summary.users[0]!.password }, configDir);
      expect(retrieved.code, retrieved.err).toBe(0);
      expect(readFileSync(join(configDir, 'out/machine.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      await stopLab();
    }
    const none = await run(['lab', 'approve', '7']);
    expect(none.code).toBe(4);
    expect(none.err).toContain('[LAB_NOT_FOUND]');
    expect(none.err).toContain('no lab runs');
  });
});
