// How the demo fails: the first check that does not hold names its step, the exit code is the
// agent's own (cli.md), the lab is stopped and the temporary folder removed; a used --dir is refused.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { CES_USERNAME } from '../../src/cli/demo/demoSetup.js';
import { enrollStep, startLabStep } from '../../src/cli/demo/enrollmentSteps.js';
import { runDemo } from '../../src/cli/demo/runDemo.js';
import type { DemoReport } from '../../src/cli/demo/runDemo.js';
import { need } from '../../src/cli/demo/story.js';
import type { DemoStep } from '../../src/cli/demo/story.js';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';

const refused = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('autoenroll demo failures', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'autoenroll-demo-fail-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a step whose check does not hold stops the demo, names the step and exits with the agent exit code', async () => {
    const outage: DemoStep = {
      name: 'outage',
      title: 'The username CES goes down',
      async run(state) {
        await need(state.lab, 'the lab').setFault(CES_USERNAME, { kind: 'refuse' });
        return { summary: 'username CES down', facts: {} };
      },
    };
    const context = captureContext();
    const code = await runDemo({}, { ...context, globals: { config: undefined, json: true, verbose: false, quiet: false } } as CommandContext, [startLabStep, outage, enrollStep]);
    // Every enrollment endpoint unreachable: exit 3, as `autoenroll enroll` itself exits.
    expect(code).toBe(3);
    const report = JSON.parse(context.out()) as DemoReport;
    expect(report).toMatchObject({ ok: false, exitCode: 3, error: { step: 3, name: 'enroll', exitCode: 3 } });
    expect(report.error?.message).toMatch(/exited 3, expected 5: .*unreachable/);
    expect(report.steps.map((s) => s.ok)).toEqual([true, true, false]);
    expect(context.err()).toContain('[3/3] First enrollment with username and password');
    expect(context.err()).toMatch(/FAILED: "autoenroll --config \S+ enroll" exited 3/);
    expect(context.err()).toContain('autoenroll: demo failed at step 3 (enroll)');
    // The agent reports the fault once, in its result (the FAILED line quotes it); its log does not repeat it.
    expect(context.err()).toMatch(/FAILED: "autoenroll --config \S+ enroll" exited 3, expected 5: the only endpoint is unreachable/);
    // Cleaned up: temporary folder removed, lab stopped.
    expect(existsSync(report.dir)).toBe(false);
    const endpoints = report.steps[0]?.facts.endpoints as Array<{ url: string }>;
    expect(await refused(endpoints[0]!.url)).toBe(true);
  }, 30_000);

  it('--dir must be new or empty, so an earlier run cannot change the story (exit 4)', async () => {
    writeFileSync(join(scratch, 'marker'), '');
    const context = captureContext();
    const code = await runCli(['demo', '--dir', scratch], context);
    expect(code).toBe(4);
    expect(context.err()).toContain('DEMO_DIR_NOT_EMPTY');
    expect(context.out()).toBe('');
  });
});
