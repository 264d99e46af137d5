// Policy and response sanity: a policy whose CA certificate is not X.509 makes that CA unusable
// before any request is sent (POLICY_CA_CERT_INVALID); a response under another wsa:Action is a
// protocol error (WSA_ACTION_MISMATCH): the endpoint is unhealthy and the next one is tried.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpenssl } from '../helpers/tools.js';
import { CEP_CERTIFICATE, CEP_USERNAME, CES_CERTIFICATE, CES_USERNAME, cli, passResult, useAgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('policy and response sanity', () => {
  const env = useAgentLab();

  it('a broken CA certificate in the policy: no request is sent, POLICY_CA_CERT_INVALID', async () => {
    const config = env.writeConfig('broken-ca', [{ id: 'web', template: 'TestInstant' }]);
    for (const name of [CEP_CERTIFICATE, CEP_USERNAME]) await env.lab.setFault(name, { kind: 'brokenCaCertificate' });
    try {
      const before = env.lab.requestLog().filter((e) => e.operation === 'Issue').length;
      const result = await cli(['--config', config, '--json', 'enroll'], env.vars);
      expect(passResult(result.out).certificates[0]!.error?.code, result.out).toBe('POLICY_CA_CERT_INVALID');
      expect(result.code, result.err).toBe(3);
      expect(result.err).toContain('policy.ca_invalid');
      expect(env.lab.requestLog().filter((e) => e.operation === 'Issue').length).toBe(before);
      expect(existsSync(join(dirname(config), 'out/web.pem'))).toBe(false);
    } finally {
      for (const name of [CEP_CERTIFICATE, CEP_USERNAME]) await env.lab.setFault(name, null);
    }
    const healed = await cli(['--config', config, 'enroll'], env.vars);
    expect(healed.code, healed.err).toBe(0);
  });

  it('a wrong wsa:Action on the policy server: WSA_ACTION_MISMATCH, exit 3', async () => {
    const config = env.writeConfig('wrong-action-cep', [{ id: 'web', template: 'TestInstant' }]);
    for (const name of [CEP_CERTIFICATE, CEP_USERNAME]) await env.lab.setFault(name, { kind: 'wrongAction' });
    try {
      const result = await cli(['--config', config, 'enroll'], env.vars);
      expect(result.code, result.err).toBe(3);
      expect(result.out + result.err).toContain('WSA_ACTION_MISMATCH');
    } finally {
      for (const name of [CEP_CERTIFICATE, CEP_USERNAME]) await env.lab.setFault(name, null);
    }
  });

  it('a wrong wsa:Action on one CES: failover to the next, which issues', async () => {
    const config = env.writeConfig('wrong-action-ces', [{ id: 'web', template: 'TestInstant' }]);
    const enrolled = await cli(['--config', config, 'enroll'], env.vars);
    expect(enrolled.code, enrolled.err).toBe(0);
    await env.lab.setFault(CES_CERTIFICATE, { kind: 'wrongAction' });
    try {
      const result = await cli(['--config', config, '--verbose', '--json', 'renew', '--force'], env.vars);
      expect(result.code, result.err).toBe(0);
      expect(result.err).toContain('WSA_ACTION_MISMATCH');
      expect(passResult(result.out).certificates[0]).toMatchObject({ outcome: 'issued', endpoint: env.lab.endpoint(CES_USERNAME).url });
    } finally {
      await env.lab.setFault(CES_CERTIFICATE, null);
    }
  });
});
