// `npm start` = `node bin/autoenroll.js demo`: the whole story against the lab with the built CLI,
// in real time, exit 0 within the minute; once as readable text and once with --json (run side
// by side: both mostly wait for the renewal window).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../../src/cli/demo/runDemo.js';
import { runBundle } from '../e2e/cliBundle.js';
import type { ProcessResult } from '../e2e/cliBundle.js';

const REPO = join(import.meta.dirname, '../..');
const MINUTE_MS = 60_000;
const MARKERS = ['[1/7]', '[2/7]', '[3/7]', '[4/7]', '[5/7]', '[6/7]', '[7/7]'];

/**
 * The launcher and a bundle of the CLI laid out as in the package (bin/ + dist/), in a private
 * folder: the same entry and bundling as `npm run build`, without racing other builds of the
 * shared dist/.
 */
async function buildPackageLayout(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'autoenroll-demo-cli-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(REPO, 'bin/autoenroll.js'), join(root, 'bin/autoenroll.js'));
  await build({
    entryPoints: { main: join(REPO, 'src/cli/entry.ts') },
    outdir: join(root, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __aeCreateRequire } from 'node:module'; const require = __aeCreateRequire(import.meta.url);" },
    external: ['@napi-rs/keyring'],
    logLevel: 'error',
  });
  return root;
}

describe('autoenroll demo (the built CLI)', () => {
  let root: string;
  let text: ProcessResult & { ms: number };
  let json: ProcessResult & { ms: number };

  beforeAll(async () => {
    root = await buildPackageLayout();
    const cli = join(root, 'bin/autoenroll.js');
    const timed = async (argv: string[]) => {
      const started = Date.now();
      const result = await runBundle(cli, argv, {}, 2 * MINUTE_MS);
      return { ...result, ms: Date.now() - started };
    };
    [text, json] = await Promise.all([timed(['demo']), timed(['--json', 'demo'])]);
  }, 3 * MINUTE_MS);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('npm start runs the demo through the launcher', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/autoenroll.js demo');
  });

  it('tells the story step by step on stdout and exits 0 within a minute', () => {
    expect(text.code, text.stderr).toBe(0);
    expect(text.ms).toBeLessThan(MINUTE_MS);
    let position = -1;
    for (const marker of MARKERS) {
      const at = text.stdout.indexOf(marker);
      expect(at, `${marker} in order`).toBeGreaterThan(position);
      position = at;
    }
    expect(text.stdout).toMatch(/RequestID\s+\d+/);
    expect(text.stdout).toMatch(/exit code\s+5 \(pending/);
    expect(text.stdout).toMatch(/chain\s+CN=demo-host\.lab\.test ← CN=LAB-ISSUING-CA ← CN=LAB-ROOT-CA \(trust anchor\): signatures verified/);
    expect(text.stdout).toMatch(/planned\s+renew\/in-window \(not forced\)/);
    expect(text.stdout).toMatch(/"auth":"certificate","operation":"Issue","outcome":"issued"/);
    expect(text.stdout).toMatch(/1\. https:\/\/127\.0\.0\.1:\d+\/LAB-ISSUING-CA_CES_Certificate\/service\.svc\/CES → failed: .*\[CONNECTION_REFUSED\]/);
    expect(text.stdout).toMatch(/All 7 steps held in \d+\.\d s\. Temporary files removed/);
    expect(text.stdout).not.toContain('FAILED');
    // The password travels by environment reference only.
    expect(text.stdout).toContain('$AUTOENROLL_DEMO_PASSWORD');
  });

  it('--json prints one document with every step, the narrative goes to stderr', () => {
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as DemoReport;
    expect(report).toMatchObject({ ok: true, exitCode: 0, kept: false, error: null });
    expect(report.durationMs).toBeLessThan(MINUTE_MS);
    expect(report.steps.map((s) => [s.step, s.name, s.ok])).toEqual([
      [1, 'lab', true],
      [2, 'enroll', true],
      [3, 'approve', true],
      [4, 'retrieve', true],
      [5, 'renew', true],
      [6, 'failover', true],
      [7, 'summary', true],
    ]);
    type Facts = Record<string, never>;
    const facts = (name: string): Facts => report.steps.find((s) => s.name === name)?.facts as Facts;
    const [enroll, retrieve, renew, failover, summary] = ['enroll', 'retrieve', 'renew', 'failover', 'summary'].map(facts) as [Facts, Facts, Facts, Facts, Facts];
    expect(enroll).toMatchObject({ exitCode: 5, template: 'DemoKBRComputer' });
    expect(retrieve).toMatchObject({ requestId: enroll.requestId, generation: 1, chainVerified: true, keyMatches: true, keyFileMode: '0600' });
    // Renewal authenticated by the old certificate, in the window, not forced.
    expect(renew).toMatchObject({ planned: 'renew/in-window', forced: false, generation: 2, previousThumbprint: retrieve.thumbprint, clientCertThumbprint: retrieve.thumbprint });
    expect(renew.labLog).toMatchObject({ endpoint: 'LAB-ISSUING-CA_CES_Certificate', auth: 'certificate', operation: 'Issue', outcome: 'issued' });
    expect(Date.parse((renew.labLog as unknown as { time: string }).time)).toBeGreaterThanOrEqual(Date.parse(String(retrieve.windowStart)));
    // Failover: the dead endpoint was tried and refused, the backup served.
    expect(failover).toMatchObject({ forced: true, generation: 3, previousThumbprint: renew.thumbprint });
    expect(failover.attempts).toEqual([
      expect.objectContaining({ url: failover.downEndpoint, outcome: 'failed', code: 'CONNECTION_REFUSED' }),
      { url: failover.endpoint, outcome: 'issued' },
    ]);
    expect(failover.labLog).toMatchObject({ endpoint: 'LAB-ISSUING-CA_CES_Certificate#2', clientCertThumbprint: renew.thumbprint, auth: 'certificate' });
    expect(summary).toMatchObject({ labStopped: true, status: { state: 'VALID', generation: 3, thumbprint: failover.thumbprint } });
    expect(new Set([retrieve.serial, renew.serial, failover.serial]).size).toBe(3);
    // Human progress on stderr; the temporary folder is gone.
    for (const marker of MARKERS) expect(json.stderr).toContain(marker);
    expect(existsSync(report.dir)).toBe(false);
  });
});
