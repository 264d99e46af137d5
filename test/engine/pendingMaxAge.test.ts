// `pendingMaxAge` from the configuration reaches the planner everywhere it is called: the pass,
// `status` and `plan` all give up a pending request at the configured age (default 60 days).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../src/cli/commands/plan.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import { openStore } from '../../src/store/index.js';
import { cli } from '../e2e/agentLab.js';

const DAY = 86_400_000;
// Nothing listens on port 1: any network attempt fails at once as unreachable (exit 3).
const NOWHERE = 'https://127.0.0.1:1';

describe('pendingMaxAge', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-pending-age-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A config whose only certificate has a request pending for 2 days. */
  async function setUp(name: string, pendingMaxAge?: string): Promise<string> {
    const dir = join(work, name);
    const stateDir = join(dir, 'state');
    const config = join(dir, 'config.yaml');
    const store = openStore(stateDir);
    await store.certificate('web').writePending({
      requestDer: new Uint8Array([0x30, 0x00]),
      keyPem: '-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n',
      meta: {
        requestId: '42',
        endpointUrl: `${NOWHERE}/CA_CES_UsernamePassword/service.svc/CES`,
        submittedAt: new Date(Date.now() - 2 * DAY).toISOString(),
        templateName: 'Web',
        kind: 'enroll',
        auth: 'username',
      },
    });
    writeFileSync(
      config,
      [
        `stateDir: ./state`,
        `policyServers:`,
        `  - { url: "${NOWHERE}/ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP", auth: username, username: 'LAB\\enroll', password: { env: LAB_PASSWORD } }`,
        `certificates:`,
        `  - { id: web, template: Web, subject: CN=web.test }`,
        `transport: { connectTimeout: 2s, requestTimeout: 2s }`,
        ...(pendingMaxAge !== undefined ? [`pendingMaxAge: ${pendingMaxAge}`] : []),
        '',
      ].join('\n'),
    );
    return config;
  }
  const vars = { LAB_PASSWORD: 'unused' };

  it('status, plan and a pass give the request up after the configured age', async () => {
    const config = await setUp('short', '1d');
    const status = JSON.parse((await cli(['--config', config, '--json', 'status'], vars)).out) as StatusRow[];
    expect(status[0]).toMatchObject({ state: 'NEEDS_ATTENTION', next: 'needs-attention/pending-too-old', pendingRequestId: '42' });

    const plan = JSON.parse((await cli(['--config', config, '--json', 'plan'], vars)).out) as PlanDocument;
    expect(plan.certificates[0]).toMatchObject({ state: 'NEEDS_ATTENTION', action: 'needs-attention', reason: 'pending-too-old' });

    // The pass does not poll it (which would fail as unreachable, exit 3): it reports it (exit 5).
    const pass = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(pass.code, pass.err).toBe(5);
    const result = (JSON.parse(pass.out) as PassResult).certificates[0];
    expect(result).toMatchObject({ outcome: 'needs-attention', status: 'NEEDS_ATTENTION', planned: 'needs-attention/pending-too-old' });
    expect(result?.message).toContain('pending for 2 days');
  });

  it('the default (60 days) keeps a 2-day-old request pending and polled', async () => {
    const config = await setUp('default');
    const status = JSON.parse((await cli(['--config', config, '--json', 'status'], vars)).out) as StatusRow[];
    expect(status[0]).toMatchObject({ state: 'PENDING', pendingRequestId: '42' });
    const plan = JSON.parse((await cli(['--config', config, '--json', 'plan'], vars)).out) as PlanDocument;
    expect(plan.certificates[0]).toMatchObject({ state: 'PENDING', action: 'retrieve' });
    const pass = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(pass.code, pass.err).toBe(3);
  });
});
