// A certificate whose notBefore is ahead of the local clock within clockSkewTolerance is installed
// with a CLOCK_SKEW warning (log, status, doctor) and is not presented as the TLS client
// certificate before its notBefore; beyond the tolerance it is refused (badIssuance.test.ts).
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpenssl } from '../helpers/tools.js';
import { CES_CERTIFICATE, cli, keyMatchesCert, passResult, useAgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('clock skew within the tolerance', () => {
  const env = useAgentLab();

  it('installs with CLOCK_SKEW in the log, status and doctor; never presents it before notBefore', async () => {
    const config = env.writeConfig('skew', [{ id: 'web', template: 'TestInstant' }]);
    const ces = env.lab.endpoints.filter((e) => e.kind === 'ces');
    for (const endpoint of ces) await env.lab.setFault(endpoint.name, { kind: 'issueNotBeforeAhead' });
    try {
      const enrolled = await cli(['--config', config, '--json', 'enroll'], env.vars);
      expect(enrolled.code, enrolled.err).toBe(0);
      expect(passResult(enrolled.out).certificates[0]).toMatchObject({ outcome: 'issued', generation: 1 });
      expect(enrolled.err).toContain('CLOCK_SKEW');
      expect(keyMatchesCert(join(dirname(config), 'out/web.pem'), join(dirname(config), 'out/web.key'))).toBe(true);

      const status = await cli(['--config', config, '--json', 'status'], env.vars);
      const rows = JSON.parse(status.out) as { warnings?: { code: string }[] }[];
      expect(rows[0]?.warnings).toEqual([expect.objectContaining({ code: 'CLOCK_SKEW' })]);
      const text = await cli(['--config', config, 'status'], env.vars);
      expect(text.out).toContain('warning [CLOCK_SKEW]');
      const doctor = await cli(['--config', config, '--json', 'doctor'], env.vars);
      const report = JSON.parse(doctor.out) as { general: { code: string; status: string }[] };
      expect(report.general).toContainEqual(expect.objectContaining({ code: 'CLOCK_SKEW', status: 'warn' }));

      // Renewal while the certificate is not valid yet: not presented, the username CES serves.
      const before = env.lab.requestLog().length;
      const renewed = await cli(['--config', config, '--json', '--verbose', 'renew', '--force'], env.vars);
      const entries = env.lab.requestLog().slice(before);
      expect(entries.filter((e) => e.clientCertThumbprint !== undefined)).toEqual([]);
      expect(entries.filter((e) => e.endpoint === CES_CERTIFICATE && e.operation === 'Issue')).toEqual([]);
      expect(renewed.err).toContain('CLIENT_CERT_NOT_YET_VALID');
    } finally {
      for (const endpoint of ces) await env.lab.setFault(endpoint.name, null);
    }
  });
});
