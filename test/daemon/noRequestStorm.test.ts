// A CA that issues only expired certificates: `autoenroll run` refuses each (ISSUED_EXPIRED), counts
// it as a failure and backs off (exponential, full jitter, 30 s floor) instead of asking again at
// once: at most 3 Issue requests reach the lab in the first 25 s.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateState } from '../../src/store/stateModel.js';
import { readJson, startService, startServiceLab } from './helpers/serviceLab.js';
import type { ServiceLab, ServiceProcess } from './helpers/serviceLab.js';

describe('no request storm against a CA issuing expired certificates', () => {
  let lab: ServiceLab;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    lab = await startServiceLab();
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await lab?.close();
  });

  it('makes at most 3 requests in 25 s and records ISSUED_EXPIRED with a later retry', async () => {
    for (const endpoint of lab.lab.endpoints.filter((e) => e.kind === 'ces')) await lab.lab.setFault(endpoint.name, { kind: 'issueExpired' });
    const config = lab.writeConfig('storm', { id: 'web', template: 'SvcKBR' });
    const started = Date.now();
    service = startService(config, lab.env);
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    const issues = lab.log().filter((e) => e.operation === 'Issue' && Date.parse(e.time) - started <= 25_000);
    console.log(`requests to the expired-issuing CA in the first 25 s of run: ${issues.length}`);
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues.length).toBeLessThanOrEqual(3);
    const state = readJson<CertificateState>(path.join(path.dirname(config), 'state/certs/web/state.json'));
    expect(state.lastError?.code).toBe('ISSUED_EXPIRED');
    expect(Date.parse(state.nextAttemptAt!)).toBeGreaterThan(Date.now());
    expect(service.child.exitCode).toBeNull();
  }, 60_000);
});
