// The policy step against the lab: the certificate CEP is skipped until a certificate exists, then
// preferred (priority 1) with that certificate as TLS client credential; what both CEPs publish
// is merged per policyID; a refresh sends lastUpdate and keeps the cache on policiesNotChanged;
// with every CEP down the cached policy still serves a renewal.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAgentRuntime } from '../../src/cli/agentRuntime.js';
import type { CachedPolicyFile } from '../../src/engine/cachedPolicy.js';
import type { PassResult } from '../../src/engine/agentTypes.js';
import { captureContext } from '../helpers/cliContext.js';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, CES_CERTIFICATE, CES_USERNAME, cli, passResult, readJson, useAgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('policy step', () => {
  const env = useAgentLab();

  const policyFile = (dir: string): CachedPolicyFile => {
    const names = readdirSync(join(dir, 'state/policy'));
    expect(names).toHaveLength(1);
    return readJson<CachedPolicyFile>(join(dir, 'state/policy', names[0]!));
  };
  const policyRequests = () => env.lab.requestLog().filter((e) => e.operation === 'GetPolicies');

  it('skips the certificate CEP until a certificate exists, then prefers it and merges both answers', async () => {
    const config = env.writeConfig('merge', [{ id: 'm', template: 'TestInstant' }]);
    const dir = dirname(config);
    const before = policyRequests().length;
    expect((await cli(['--config', config, 'enroll'], env.vars)).code).toBe(0);
    const first = policyRequests().slice(before);
    expect(first.map((e) => e.endpoint)).toEqual([CEP_USERNAME]);
    let cached = policyFile(dir);
    expect(cached.policyId).toBe(env.lab.policyId);
    expect(cached.sources.map((s) => s.url)).toEqual([env.lab.endpoint(CEP_USERNAME).url]);

    const thumbprint = passResult((await cli(['--config', config, '--json', 'renew', '--force'], env.vars)).out).certificates[0]!.previousThumbprint;
    const second = policyRequests().slice(before + first.length);
    expect(second).toEqual([expect.objectContaining({ endpoint: CEP_CERTIFICATE, auth: 'certificate', clientCertThumbprint: thumbprint })]);
    cached = policyFile(dir);
    expect(cached.sources.map((s) => s.url).sort()).toEqual([env.lab.endpoint(CEP_CERTIFICATE).url, env.lab.endpoint(CEP_USERNAME).url].sort());
    const uris = new Set(cached.sources.flatMap((s) => s.cas.flatMap((ca) => ca.uris.map((u) => u.uri))));
    expect(uris).toEqual(new Set([env.lab.endpoint(CES_CERTIFICATE).url, env.lab.endpoint(CES_USERNAME).url]));
  });

  it('a forced refresh sends lastUpdate and keeps the cached templates when the server says nothing changed', async () => {
    const config = env.writeConfig('refresh', [{ id: 'f', template: 'TestInstant' }]);
    const dir = dirname(config);
    expect((await cli(['--config', config, 'enroll'], env.vars)).code).toBe(0);
    const before = policyFile(dir);
    const context = { ...captureContext({ env: { ...process.env, ...env.vars } }), globals: { config, json: false, verbose: false, quiet: true } };
    const runtime = await openAgentRuntime(context, { hooks: null, now: () => Date.now() + 1000 });
    try {
      const result = await runtime.agent.runPass({ operation: 'pulse' });
      expect(result.policy).toMatchObject({ source: 'server', error: null });
    } finally {
      await runtime.close();
    }
    const after = policyFile(dir);
    const username = (f: CachedPolicyFile) => f.sources.find((s) => s.url === env.lab.endpoint(CEP_USERNAME).url);
    const certificate = (f: CachedPolicyFile) => f.sources.find((s) => s.url === env.lab.endpoint(CEP_CERTIFICATE).url);
    // The pulse asked the preferred (certificate) CEP for the first time, so it got a full answer;
    // the username CEP's contribution, templates and all, is kept as it was.
    expect(certificate(after)?.templates.length).toBeGreaterThan(0);
    expect(username(after)).toEqual(username(before));
    const context2 = { ...captureContext({ env: { ...process.env, ...env.vars } }), globals: { config, json: false, verbose: false, quiet: false } };
    const runtime2 = await openAgentRuntime(context2, { hooks: null, now: () => Date.now() + 2000 });
    try {
      await runtime2.agent.runPass({ operation: 'pulse' });
    } finally {
      await runtime2.close();
    }
    expect(context2.err()).toContain('policy.not_changed');
    const again = policyFile(dir);
    expect(Date.parse(certificate(again)!.fetchedAt)).toBeGreaterThan(Date.parse(certificate(after)!.fetchedAt));
    expect(certificate(again)!.templates).toEqual(certificate(after)!.templates);
  });

  it('renews from the cached policy when every CEP is down', async () => {
    const config = env.writeConfig('down', [{ id: 'd', template: 'TestInstant' }]);
    expect((await cli(['--config', config, 'enroll'], env.vars)).code).toBe(0);
    await env.lab.setFault(CEP_USERNAME, { kind: 'http500' });
    await env.lab.setFault(CEP_CERTIFICATE, { kind: 'malformed' });
    try {
      const context = { ...captureContext({ env: { ...process.env, ...env.vars } }), globals: { config, json: false, verbose: false, quiet: false } };
      const runtime = await openAgentRuntime(context, { hooks: null });
      let result: PassResult;
      try {
        // pulse forces a refresh, which fails everywhere; then a forced renewal from the cache.
        result = await runtime.agent.runPass({ operation: 'pulse' });
        expect(result.policy.source).toBe('cache');
        expect(result.policy.error?.code).toBeDefined();
        result = await runtime.agent.runPass({ operation: 'renew', force: true });
      } finally {
        await runtime.close();
      }
      expect(result.exitCode).toBe(0);
      expect(result.certificates[0]).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2 });
      expect(result.policy.source).toBe('cache');
      expect(context.err()).toContain('policy.using_cache');
    } finally {
      await env.lab.setFault(CEP_USERNAME, null);
      await env.lab.setFault(CEP_CERTIFICATE, null);
    }
  });
});
