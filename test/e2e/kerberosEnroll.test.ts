// Enrollment through the Kerberos CEP and CES of the lab, with tickets from a real MIT KDC: from
// the machine keytab, from a username and password, from an existing credential cache; a pending
// request retrieved over Kerberos; key-based renewal afterwards through the certificate CES, as
// without Kerberos.
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CEP_KERBEROS } from '../../src/lab/labEndpoints.js';
import { skipKerberosTests } from '../helpers/kdc.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { CES_CERTIFICATE, cli, keyMatchesCert, passResult } from './agentLab.js';
import { CES_KERBEROS, MACHINE, startKerberosLab, USER, USER_PASSWORD } from './kerberosLab.js';
import type { KerberosLab } from './kerberosLab.js';

const skip = skipKerberosTests() || !hasOpenssl;

describe.skipIf(skip)('enrollment over Kerberos', () => {
  let k: KerberosLab;
  beforeAll(async () => {
    k = await startKerberosLab();
    process.env.KRB5_CONFIG = k.kdc.krb5Conf;
  });
  afterAll(async () => k?.close());

  const kerberosIssues = (principal: string) =>
    k.lab.requestLog().filter((e) => e.endpoint === CES_KERBEROS && e.operation === 'Issue' && e.auth === `kerberos:${principal}@LAB.TEST`);

  it('with the machine keytab: policy and certificate over Kerberos, then key-based renewal through the certificate CES', async () => {
    const config = k.writeConfig('keytab', { kerberos: { keytab: k.hostKeytab, principal: MACHINE } }, [{ id: 'web', template: 'TestInstant' }]);
    const dir = dirname(config);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], {});
    expect(enrolled.code, enrolled.err).toBe(0);
    const first = passResult(enrolled.out).certificates[0]!;
    expect(first).toMatchObject({ outcome: 'issued', generation: 1, endpoint: k.lab.endpoint(CES_KERBEROS).url });
    expect(kerberosIssues(MACHINE)).toHaveLength(1);
    expect(k.lab.requestLog().some((e) => e.endpoint === CEP_KERBEROS && e.outcome === 'policy' && e.auth === `kerberos:${MACHINE}@LAB.TEST`)).toBe(true);
    const cert = join(dir, 'out/web.pem');
    expect(keyMatchesCert(cert, join(dir, 'out/web.key'))).toBe(true);
    const verify = openssl(['verify', '-CAfile', k.lab.trustBundlePath, '-untrusted', join(dir, 'out/web-chain.pem'), cert]);
    expect(verify.status, verify.stderr).toBe(0);

    const renewed = await cli(['--config', config, '--json', 'renew', '--force'], {});
    expect(renewed.code, renewed.err).toBe(0);
    expect(passResult(renewed.out).certificates[0]).toMatchObject({ action: 'renew', outcome: 'issued', generation: 2, previousThumbprint: first.thumbprint, endpoint: k.lab.endpoint(CES_CERTIFICATE).url });
    expect(kerberosIssues(MACHINE)).toHaveLength(1);
  });

  it('with the machine principals tried in order when the keytab is given without a principal', async () => {
    // <short name>$ (tried first) is unknown to the KDC; <SHORT NAME>$, tried next, is in the keytab.
    const machine = `${hostname().split('.')[0]!.toUpperCase()}$`;
    k.kdc.addPrincipal(machine);
    const keytab = k.kdc.keytab(join(k.work, 'machine.keytab'), [machine]);
    const config = k.writeConfig('default-principal', { kerberos: { keytab } }, [{ id: 'auto', template: 'TestInstant' }]);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], {});
    expect(enrolled.code, enrolled.err).toBe(0);
    expect(kerberosIssues(machine)).toHaveLength(1);
  });

  it('names the machine principals it tried when none is in the keytab', async () => {
    const config = k.writeConfig('no-machine-principal', { kerberos: { keytab: k.hostKeytab } }, [{ id: 'none', template: 'TestInstant' }]);
    const enrolled = await cli(['--config', config, '--json', 'enroll'], {});
    expect(enrolled.code).toBe(4);
    expect(enrolled.out + enrolled.err).toMatch(/none of the machine principals/);
    expect(enrolled.out + enrolled.err).toMatch(/klist -k/);
  });

  it('with a username and password: a pending request, retrieved over Kerberos after approval', async () => {
    const config = k.writeConfig('password', { username: `${USER}@LAB.TEST`, password: { env: 'KRB_PASSWORD' } }, [{ id: 'app', template: 'TestPending' }]);
    const dir = dirname(config);
    const first = await cli(['--config', config, '--json', 'enroll'], { KRB_PASSWORD: USER_PASSWORD });
    expect(first.code, first.err).toBe(5);
    const pending = passResult(first.out).certificates[0]!;
    expect(pending).toMatchObject({ outcome: 'pending', endpoint: k.lab.endpoint(CES_KERBEROS).url });
    expect(kerberosIssues(USER)).toHaveLength(1);
    await k.lab.approve(pending.requestId!);
    const retrieved = await cli(['--config', config, '--json', 'retrieve'], { KRB_PASSWORD: USER_PASSWORD });
    expect(retrieved.code, retrieved.err).toBe(0);
    expect(passResult(retrieved.out).certificates[0]).toMatchObject({ action: 'retrieve', outcome: 'issued', generation: 1 });
    const polls = k.lab.requestLog().filter((e) => e.endpoint === CES_KERBEROS && e.operation === 'QueryTokenStatus');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((e) => e.auth === `kerberos:${USER}@LAB.TEST`)).toBe(true);
    expect(keyMatchesCert(join(dir, 'out/app.pem'), join(dir, 'out/app.key'))).toBe(true);
    expect(JSON.stringify(k.lab.requestLog())).not.toContain(USER_PASSWORD);
  });

  it('with delegation on: a forwardable ticket and the delegation flag, still accepted', async () => {
    const config = k.writeConfig('delegation', { kerberos: { keytab: k.hostKeytab, principal: MACHINE, delegation: true } }, [{ id: 'deleg', template: 'TestInstant' }]);
    const before = kerberosIssues(MACHINE).length;
    const enrolled = await cli(['--config', config, '--json', 'enroll'], {});
    expect(enrolled.code, enrolled.err).toBe(0);
    expect(kerberosIssues(MACHINE)).toHaveLength(before + 1);
  });

  it('with an existing credential cache', async () => {
    const ccache = k.kinit('existing');
    const config = k.writeConfig('ccache', { kerberos: { ccache } }, [{ id: 'cached', template: 'TestInstant' }]);
    const before = kerberosIssues(MACHINE).length;
    const enrolled = await cli(['--config', config, '--json', 'enroll'], {});
    expect(enrolled.code, enrolled.err).toBe(0);
    expect(passResult(enrolled.out).certificates[0]).toMatchObject({ outcome: 'issued', endpoint: k.lab.endpoint(CES_KERBEROS).url });
    expect(kerberosIssues(MACHINE)).toHaveLength(before + 1);
    expect(process.env.KRB5CCNAME).toBeUndefined();
  });
});
