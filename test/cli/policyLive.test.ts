// `autoenroll policy` without --file fetches the live policy from the configured policy servers,
// the way a pass asks them, prints it like --file does, and updates the policy cache.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedPolicyFile } from '../../src/engine/cachedPolicy.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { StatusRow } from '../../src/engine/statusView.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, CES_CERTIFICATE, CES_USERNAME, cli, readJson, startAgentLab } from '../e2e/agentLab.js';
import type { AgentLab } from '../e2e/agentLab.js';

interface PolicyJson {
  source: string;
  policyId: string;
  templates: { commonName: string }[];
  cas: { enrollmentUris: { uri: string; renewalOnly: boolean }[] }[];
}

describe.skipIf(!hasOpenssl)('autoenroll policy (live)', () => {
  let env: AgentLab;
  let vars: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = await startAgentLab();
    vars = { LAB_PASSWORD: env.password };
  });
  afterAll(async () => env?.close());

  const policyRequests = () => env.lab.requestLog().filter((e) => e.operation === 'GetPolicies');
  const uris = (doc: PolicyJson) => doc.cas.flatMap((ca) => ca.enrollmentUris.map((u) => u.uri));

  it('asks the username CEP before a certificate is held, prints the policy and caches it', async () => {
    const config = env.writeConfig('live', [{ id: 'web', template: 'TestInstant' }]);
    const before = policyRequests().length;
    const json = await cli(['--config', config, '--json', 'policy'], vars);
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out) as PolicyJson;
    expect(doc).toMatchObject({ source: env.lab.endpoint(CEP_USERNAME).url, policyId: env.lab.policyId });
    expect(doc.templates.map((t) => t.commonName)).toContain('TestInstant');
    expect(uris(doc)).toContain(env.lab.endpoint(CES_USERNAME).url);
    expect(policyRequests().slice(before).map((e) => e.endpoint)).toEqual([CEP_USERNAME]);

    // Cached like a pass caches it: status plans with it (no "no policy" any more).
    const names = readdirSync(join(dirname(config), 'state', 'policy'));
    expect(names).toHaveLength(1);
    const cached = readJson<CachedPolicyFile>(join(dirname(config), 'state', 'policy', names[0]!));
    expect(cached.sources.map((s) => s.url)).toEqual([env.lab.endpoint(CEP_USERNAME).url]);
    const status = JSON.parse((await cli(['--config', config, '--json', 'status'], vars)).out) as StatusRow[];
    expect(status[0]).toMatchObject({ state: 'NEW', next: 'enroll/no-certificate', message: null });

    const text = await cli(['--config', config, 'policy'], vars);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`Policy ${env.lab.policyId}`);
    expect(text.out).toContain(`(${env.lab.endpoint(CEP_USERNAME).url})`);
    expect(text.out).toMatch(/TestInstant\s+\S+\s+\d\s+1h\s+10m/);
  });

  it('with a managed certificate, asks the preferred certificate CEP with it as TLS client certificate', async () => {
    const config = env.writeConfig('kbr', [{ id: 'web', template: 'TestInstant' }]);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    const thumbprint = (JSON.parse(enrolled.out) as PassResult).certificates[0]!.thumbprint;
    const before = policyRequests().length;
    const json = await cli(['--config', config, '--json', 'policy'], vars);
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out) as PolicyJson;
    expect(doc.source).toBe(env.lab.endpoint(CEP_CERTIFICATE).url);
    expect(uris(doc)).toContain(env.lab.endpoint(CES_CERTIFICATE).url);
    expect(policyRequests().slice(before)).toEqual([expect.objectContaining({ endpoint: CEP_CERTIFICATE, auth: 'certificate', clientCertThumbprint: thumbprint })]);
  });

  it('fails over to the next server, and exits 3 when every policy server is unreachable', async () => {
    const config = env.writeConfig('down', [{ id: 'web', template: 'TestInstant' }]);
    expect((await cli(['--config', config, 'enroll'], vars)).code).toBe(0);
    await env.lab.setFault(CEP_CERTIFICATE, { kind: 'http500' });
    try {
      const failover = await cli(['--config', config, '--json', 'policy'], vars);
      expect(failover.code, failover.err).toBe(0);
      expect((JSON.parse(failover.out) as PolicyJson).source).toBe(env.lab.endpoint(CEP_USERNAME).url);
      expect(failover.err).toContain('policy.server_failed');

      await env.lab.setFault(CEP_USERNAME, { kind: 'refuse' });
      const down = await cli(['--config', config, '--json', 'policy'], vars);
      expect(down.code).toBe(3);
      expect(JSON.parse(down.out)).toMatchObject({ error: { code: expect.any(String) } });
      expect(down.err).toContain(env.lab.endpoint(CEP_USERNAME).url);
    } finally {
      await env.lab.setFault(CEP_CERTIFICATE, null);
      await env.lab.setFault(CEP_USERNAME, null);
    }
  });

  it('exits 4 for a wrong password, and when only certificate servers are configured and no certificate is held', async () => {
    const config = env.writeConfig('badpass', [{ id: 'web', template: 'TestInstant' }]);
    const wrong = await cli(['--config', config, 'policy'], { LAB_PASSWORD: 'not-the-password' });
    expect(wrong.code, wrong.err).toBe(4);
    expect(wrong.err).not.toContain('not-the-password');

    const document = parse(readFileSync(config, 'utf8')) as { policyServers: { auth: string }[] };
    document.policyServers = document.policyServers.filter((s) => s.auth === 'certificate');
    writeFileSync(config, stringify(document));
    const none = await cli(['--config', config, 'policy'], vars);
    expect(none.code).toBe(4);
    expect(none.err).toContain('[NO_POLICY_SERVER]');
    expect(none.err).toContain('no managed certificate is valid yet');
  });
});
