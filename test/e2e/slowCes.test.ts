// A CES that answers after the submission timeout may still issue. The submission has its own
// timeout (transport.submitTimeout); a timed-out one is recorded as a possible orphan (endpoint,
// time, request digest) in the state, shown by `status`, and after it at most one more endpoint
// is tried: at most one duplicate request at the CA, never more.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { renderMetrics } from '../../src/daemon/metrics.js';
import { metricsFromPass } from '../../src/daemon/passMetrics.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { openStore } from '../../src/store/store.js';
import { captureContext } from '../helpers/cliContext.js';
import { CEP_CERTIFICATE, CEP_USERNAME, TEST_TEMPLATES, passResult } from './agentLab.js';

const CES = ['LAB-ISSUING-CA_CES_UsernamePassword', 'LAB-ISSUING-CA_CES_UsernamePassword#2', 'LAB-ISSUING-CA_CES_UsernamePassword#3'];

describe('slow CES: submission timeout and possible orphans', () => {
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ae-slowces-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, cas: [{ name: 'LAB-ISSUING-CA', usernameCes: [{}, { port: 0 }, { port: 0 }] }] });
    env = { ...process.env, LAB_PASSWORD: lab.users[0]!.password, AUTOENROLL_CONFIG: '' };
  });
  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const context = captureContext({ env });
    const code = await runCli(argv, context);
    return { code, out: context.out(), err: context.err() };
  }

  it('three CES slower than the submit timeout → two requests at the CA (one duplicate), both recorded as possible orphans', async () => {
    const dir = join(work, 'slow');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint(CEP_CERTIFICATE).url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint(CEP_USERNAME).url, auth: 'username', priority: 10, username: lab.users[0]!.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: [{ id: 'slow', template: 'TestInstant', subject: 'CN=slow.lab.test', dns: ['slow.lab.test'], key: { algorithm: 'EC', curve: 'P-256' } }],
        transport: { connectTimeout: '5s', requestTimeout: '10s', submitTimeout: '1s' },
      }),
    );
    for (const name of CES) await lab.setFault(name, { kind: 'slowSubmit', delayMs: 2_500 });
    let run;
    try {
      run = await cli(['--config', config, '--json', 'enroll']);
    } finally {
      for (const name of CES) await lab.setFault(name, null);
    }
    expect(run.code, run.err).toBe(3);
    const issued = lab.requestLog().filter((e) => e.operation === 'Issue' && e.outcome === 'issued');
    expect(issued.length).toBe(2);

    const status = await cli(['--config', config, '--json', 'status']);
    const row = (JSON.parse(status.out) as Array<{ possibleOrphans: Array<{ endpoint: string; at: string; requestDigest: string }> }>)[0]!;
    expect(row.possibleOrphans).toHaveLength(2);
    for (const orphan of row.possibleOrphans) {
      expect(orphan.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(orphan.requestDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(CES.map((n) => lab.endpoint(n).url)).toContain(orphan.endpoint);
    }
    expect(new Set(row.possibleOrphans.map((o) => o.endpoint)).size).toBe(2);
    const text = await cli(['--config', config, 'status']);
    expect(text.out).toContain('possible orphan request');

    // metrics.prom (what the service writes after each pass) counts them.
    const metrics = renderMetrics(await metricsFromPass(passResult(run.out), openStore(join(dir, 'state')), { list: () => [] } as never, 1));
    expect(metrics).toContain('autoenroll_possible_orphan_requests{id="slow"} 2');
  }, 60_000);
});
