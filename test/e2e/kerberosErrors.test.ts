// Kerberos failures as they happen against a real MIT KDC, each a typed error with cause, fix and
// the exit code of cli.md: wrong password, unknown principal, missing keytab, expired ticket, KDC
// unreachable, unregistered service principal, clock skew (a KDC that refuses every timestamp).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, skipKerberosTests, startKdc } from '../helpers/kdc.js';
import type { Kdc } from '../helpers/kdc.js';
import { cli } from './agentLab.js';
import { MACHINE, startKerberosLab, USER } from './kerberosLab.js';
import type { KerberosLab } from './kerberosLab.js';
import { join } from 'node:path';

const skip = skipKerberosTests();

describe.skipIf(skip)('Kerberos failures', () => {
  let k: KerberosLab;
  beforeAll(async () => {
    k = await startKerberosLab();
  });
  afterAll(async () => k?.close());

  async function enroll(name: string, kerberos: Record<string, unknown>, vars: NodeJS.ProcessEnv = {}, krb5Conf = k.kdc.krb5Conf) {
    process.env.KRB5_CONFIG = krb5Conf;
    const config = k.writeConfig(name, kerberos, [{ id: name, template: 'TestInstant' }]);
    const result = await cli(['--config', config, '--json', 'enroll'], vars);
    return { code: result.code, text: result.out + result.err };
  }

  it('wrong password: KERBEROS_PASSWORD_WRONG, exit 4, the password nowhere in the output', async () => {
    const r = await enroll('wrongpw', { username: `${USER}@LAB.TEST`, password: { env: 'KRB_PASSWORD' } }, { KRB_PASSWORD: 'Not-The-Password-42' });
    expect(r.code, r.text).toBe(4);
    expect(r.text).toContain('KERBEROS_PASSWORD_WRONG');
    expect(r.text).toMatch(/refused the password of alice@LAB.TEST/);
    expect(r.text).not.toContain('Not-The-Password-42');
  });

  it('unknown principal: KERBEROS_PRINCIPAL_UNKNOWN, exit 4', async () => {
    const r = await enroll('unknown', { username: 'nobody@LAB.TEST', password: { env: 'KRB_PASSWORD' } }, { KRB_PASSWORD: 'whatever' });
    expect(r.code, r.text).toBe(4);
    expect(r.text).toContain('KERBEROS_PRINCIPAL_UNKNOWN');
    expect(r.text).toMatch(/does not know the principal nobody@LAB.TEST/);
  });

  it('missing keytab: KERBEROS_KEYTAB_MISSING, exit 4', async () => {
    const r = await enroll('nokeytab', { kerberos: { keytab: join(k.work, 'absent.keytab'), principal: MACHINE } });
    expect(r.code, r.text).toBe(4);
    expect(r.text).toContain('KERBEROS_KEYTAB_MISSING');
    expect(r.text).toMatch(/absent\.keytab/);
  });

  it('expired ticket in an existing cache: KERBEROS_TICKET_EXPIRED, exit 4', async () => {
    const ccache = k.kinit('short-lived', '2s');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const r = await enroll('expired', { kerberos: { ccache } });
    expect(r.code, r.text).toBe(4);
    expect(r.text).toContain('KERBEROS_TICKET_EXPIRED');
    expect(r.text).toMatch(/kinit|keytab/);
  });

  it('KDC unreachable: KERBEROS_KDC_UNREACHABLE, exit 3 (the service retries)', async () => {
    const closed = k.kdc.clientConfPointingAt(await freePort());
    const r = await enroll('nokdc', { kerberos: { keytab: k.hostKeytab, principal: MACHINE } }, {}, closed);
    expect(r.code, r.text).toBe(3);
    expect(r.text).toContain('KERBEROS_KDC_UNREACHABLE');
    expect(r.text).toMatch(/port 88/);
  });

  it('unregistered service principal: KERBEROS_SPN_UNKNOWN, exit 4', async () => {
    const r = await enroll('wrongspn', { kerberos: { keytab: k.hostKeytab, principal: MACHINE, servicePrincipal: 'HTTP/ces.wrong.example' } });
    expect(r.code, r.text).toBe(4);
    expect(r.text).toContain('KERBEROS_SPN_UNKNOWN');
    expect(r.text).toMatch(/setspn/);
  });

  describe('clock skew', () => {
    let skewed: Kdc;
    beforeAll(async () => {
      skewed = await startKdc({ rejectAllTimestamps: true });
      skewed.addPrincipal(MACHINE);
    });
    afterAll(async () => skewed?.stop());

    it('KERBEROS_CLOCK_SKEW, exit 4, naming time synchronisation', async () => {
      const keytab = skewed.keytab(join(k.work, 'skewed-host.keytab'), [MACHINE]);
      const r = await enroll('skew', { kerberos: { keytab, principal: MACHINE } }, {}, skewed.krb5Conf);
      expect(r.code, r.text).toBe(4);
      expect(r.text).toContain('KERBEROS_CLOCK_SKEW');
      expect(r.text).toMatch(/synchronise the clock/);
    });
  });
});
