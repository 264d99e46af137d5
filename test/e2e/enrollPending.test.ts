// Username/password enrollment of a template that pends for CA manager approval: exit 5 with the
// RequestID recorded, retrieval after approval (exit 0, chain verified by openssl), denial (exit 2
// with the HRESULT in lastError).
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { CertificateState } from '../../src/store/stateModel.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { cli, keyMatchesCert, readJson, startAgentLab } from './agentLab.js';
import type { AgentLab } from './agentLab.js';

describe.skipIf(!hasOpenssl)('enroll → pending → approve → retrieve', () => {
  let env: AgentLab;
  let passwordEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = await startAgentLab();
    passwordEnv = { LAB_PASSWORD: env.password, AUTOENROLL_CONFIG: '' };
  });
  afterAll(async () => env?.close());

  it('exits 5 with the RequestID, then installs the approved certificate with exit 0', async () => {
    const config = env.writeConfig('pending', [{ id: 'web', template: 'TestPending' }]);
    const dir = dirname(config);
    const first = await cli(['--config', config, '--json', 'enroll'], passwordEnv);
    expect(first.code, first.err).toBe(5);
    const result = JSON.parse(first.out) as PassResult;
    const web = result.certificates[0]!;
    expect(web).toMatchObject({ id: 'web', action: 'enroll', outcome: 'pending', status: 'PENDING' });
    expect(web.requestId).toMatch(/^\d+$/);
    const state = readJson<CertificateState>(join(dir, 'state/certs/web/state.json'));
    expect(state.pending?.requestId).toBe(web.requestId);
    expect(state.pending?.endpointUrl).toBe(env.lab.endpoint('LAB-ISSUING-CA_CES_UsernamePassword').url);
    expect(existsSync(join(dir, 'state/certs/web/pending/key.pem'))).toBe(true);
    const status = await cli(['--config', config, '--json', 'status'], passwordEnv);
    expect(status.code, status.err).toBe(0);
    expect(JSON.parse(status.out)).toEqual([expect.objectContaining({ id: 'web', state: 'PENDING', pendingRequestId: web.requestId })]);

    // Still pending: retrieve says so and submits nothing new.
    const again = await cli(['--config', config, 'retrieve'], passwordEnv);
    expect(again.code, again.err).toBe(5);
    expect(again.out).toContain(web.requestId!);

    await env.lab.approve(web.requestId!);
    const retrieved = await cli(['--config', config, '--json', 'retrieve'], passwordEnv);
    expect(retrieved.code, retrieved.err).toBe(0);
    const after = (JSON.parse(retrieved.out) as PassResult).certificates[0]!;
    expect(after).toMatchObject({ action: 'retrieve', outcome: 'issued', status: 'VALID', generation: 1 });

    const cert = join(dir, 'out/web.pem');
    const chain = join(dir, 'out/web-chain.pem');
    expect(keyMatchesCert(cert, join(dir, 'out/web.key'))).toBe(true);
    const verify = openssl(['verify', '-CAfile', env.lab.trustBundlePath, '-untrusted', chain, cert]);
    expect(verify.stdout + verify.stderr).toContain('OK');
    expect(verify.status).toBe(0);
    expect(existsSync(join(dir, 'state/certs/web/pending'))).toBe(false);

    const issues = env.lab.requestLog().filter((e) => e.operation === 'Issue' && e.template === 'TestPending');
    expect(issues).toHaveLength(1);
    const subject = openssl(['x509', '-in', cert, '-noout', '-subject']).stdout;
    expect(subject).toContain('web.lab.test');
    expect(readFileSync(cert, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('ends a denied request with exit 2 and the HRESULT in lastError', async () => {
    const config = env.writeConfig('denied', [{ id: 'app', template: 'TestPending' }]);
    const dir = dirname(config);
    const first = await cli(['--config', config, '--json', 'enroll'], passwordEnv);
    expect(first.code, first.err).toBe(5);
    const requestId = (JSON.parse(first.out) as PassResult).certificates[0]!.requestId!;
    await env.lab.deny(requestId);
    const denied = await cli(['--config', config, '--json', 'retrieve'], passwordEnv);
    expect(denied.code, denied.err).toBe(2);
    const result = (JSON.parse(denied.out) as PassResult).certificates[0]!;
    expect(result.error).toMatchObject({ requestId });
    expect(typeof result.error?.hresult).toBe('number');
    const state = readJson<CertificateState>(join(dir, 'state/certs/app/state.json'));
    expect(state.lastError?.hresult).toBe(result.error?.hresult);
    expect(state.lastError?.requestId).toBe(requestId);
    expect(state.pending ?? null).toBeNull();
    const status = await cli(['--config', config, '--json', 'status'], passwordEnv);
    expect(JSON.parse(status.out)).toEqual([
      expect.objectContaining({ id: 'app', pendingRequestId: null, lastError: expect.objectContaining({ hresult: result.error?.hresult, requestId }) }),
    ]);
    expect(existsSync(join(dir, 'state/certs/app/pending'))).toBe(false);
  });
});
