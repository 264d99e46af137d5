// The agent remembers endpoints that just failed (circuit breaker) and starts the next attempt
// elsewhere: within a process (the service's passes) and across processes through
// stateDir/endpoints.json. The random source is fixed, so without the memory the same (dead)
// endpoint would be tried first every time.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAgentRuntime } from '../../src/cli/agentRuntime.js';
import { createAgent } from '../../src/engine/agent.js';
import type { Agent, PassResult } from '../../src/engine/agentTypes.js';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_USERNAME, TEST_TEMPLATES } from '../e2e/agentLab.js';

describe.skipIf(!hasOpenssl)('memory of failed endpoints', () => {
  let lab: Lab;
  let work: string;
  let config: string;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'autoenroll-breaker-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0, templates: TEST_TEMPLATES, cas: [{ name: 'CA-ONE', usernameCes: [{ priority: 1 }, { priority: 1, port: 0 }] }] });
    mkdirSync(join(work, 'agent'));
    config = join(work, 'agent', 'config.yaml');
    writeFileSync(
      config,
      stringify({
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [{ url: lab.endpoint(CEP_USERNAME).url, auth: 'username', username: lab.users[0]!.username, password: { env: 'LAB_PASSWORD' } }],
        certificates: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, template: 'TestInstant', subject: `CN=${id}.lab.test`, key: { algorithm: 'EC', curve: 'P-256' } })),
        transport: { connectTimeout: '3s', requestTimeout: '5s' },
      }),
    );
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A new agent as a new process would build it, with a fixed shuffle. */
  async function newAgent(): Promise<{ agent: Agent; stderr: () => string }> {
    const context = { ...captureContext({ env: { ...process.env, LAB_PASSWORD: lab.users[0]!.password } }), globals: { config, json: false, verbose: false, quiet: false } };
    const runtime = await openAgentRuntime(context, { hooks: null });
    closers.push(() => runtime.close());
    return { agent: createAgent({ ...runtime.deps, random: () => 0 }), stderr: context.err };
  }

  async function enroll(handle: { agent: Agent; stderr: () => string }, id: string): Promise<{ result: PassResult; log: string }> {
    const before = handle.stderr().length;
    const result = await handle.agent.runPass({ operation: 'enroll', ids: [id] });
    expect(result.exitCode, JSON.stringify(result.certificates[0]?.error)).toBe(0);
    return { result, log: handle.stderr().slice(before) };
  }
  const failedAt = (log: string, url: string): boolean => log.split('\n').some((line) => line.includes('ces.endpoint_failed') && line.includes(url));
  const nameOf = (url: string): string => lab.endpoints.find((e) => e.url === url)!.name;

  it('after a CES refused, the next pass and the next process start with the healthy one', async () => {
    const first = await newAgent();
    // Which of the two equal-priority CES the fixed shuffle puts first: make that one refuse.
    const probe = await enroll(first, 'a');
    const dead = probe.result.certificates[0]!.endpoint!;
    const healthy = lab.endpoints.find((e) => e.kind === 'ces' && e.auth === 'username' && e.url !== dead)!.url;
    await lab.setFault(nameOf(dead), { kind: 'refuse' });
    try {
      const failing = await enroll(first, 'b');
      expect(failedAt(failing.log, dead)).toBe(true);
      expect(failing.result.certificates[0]!.endpoint).toBe(healthy);
      const saved = JSON.parse(readFileSync(join(work, 'agent', 'state', 'endpoints.json'), 'utf8')) as { entries: { url: string }[] };
      expect(saved.entries.map((e) => e.url)).toEqual([dead]);

      // Same agent (the service between passes): the dead one is not the first choice.
      const again = await enroll(first, 'c');
      expect(failedAt(again.log, dead)).toBe(false);
      expect(again.result.certificates[0]!.endpoint).toBe(healthy);

      // A new process reads the memory from stateDir/endpoints.json.
      const next = await enroll(await newAgent(), 'd');
      expect(failedAt(next.log, dead)).toBe(false);
      expect(next.result.certificates[0]!.endpoint).toBe(healthy);

      // A damaged file is no obstacle: an empty memory, the dead one tried and remembered again.
      writeFileSync(join(work, 'agent', 'state', 'endpoints.json'), '{ not json');
      const damaged = await newAgent();
      const recovered = await enroll(damaged, 'e');
      expect(damaged.stderr()).toContain('endpoints.memory_ignored');
      expect(failedAt(recovered.log, dead)).toBe(true);
      expect(recovered.result.certificates[0]!.endpoint).toBe(healthy);
      expect((JSON.parse(readFileSync(join(work, 'agent', 'state', 'endpoints.json'), 'utf8')) as { entries: { url: string }[] }).entries.map((e) => e.url)).toEqual([dead]);
    } finally {
      await lab.setFault(nameOf(dead), null);
    }
  });
});
