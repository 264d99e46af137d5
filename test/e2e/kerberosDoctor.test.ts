// `autoenroll doctor` for Kerberos endpoints against the lab and a real KDC: ticket, service
// principal and the KDC's judgement of the clock per Kerberos CEP and CES, then the Negotiate round
// trip; and each failing with cause, fix and exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, EndpointReport } from '../../src/engine/doctorTypes.js';
import { CEP_KERBEROS } from '../../src/lab/labEndpoints.js';
import { skipKerberosTests, startKdc } from '../helpers/kdc.js';
import type { Kdc } from '../helpers/kdc.js';
import { cli } from './agentLab.js';
import { CES_KERBEROS, MACHINE, startKerberosLab } from './kerberosLab.js';
import type { KerberosLab } from './kerberosLab.js';
import { join } from 'node:path';

const skip = skipKerberosTests();

describe.skipIf(skip)('doctor with Kerberos endpoints', () => {
  let k: KerberosLab;
  beforeAll(async () => {
    k = await startKerberosLab();
  });
  afterAll(async () => k?.close());

  async function doctor(name: string, kerberos: Record<string, unknown>, krb5Conf = k.kdc.krb5Conf): Promise<{ code: number; report: DoctorReport }> {
    process.env.KRB5_CONFIG = krb5Conf;
    const config = k.writeConfig(name, kerberos, [{ id: name, template: 'TestInstant' }]);
    const result = await cli(['--config', config, '--json', 'doctor'], {});
    return { code: result.code, report: JSON.parse(result.out) as DoctorReport };
  }
  const endpoint = (report: DoctorReport, url: string): EndpointReport => report.endpoints.find((e) => e.url === url) as EndpointReport;
  const check = (e: EndpointReport, name: string) => e.checks.find((c) => c.name === name);

  it('checks ticket, SPN and clock, then authenticates, for the Kerberos CEP and CES', async () => {
    const { report } = await doctor('healthy', { kerberos: { keytab: k.hostKeytab, principal: MACHINE } });
    for (const url of [k.lab.endpoint(CEP_KERBEROS).url, k.lab.endpoint(CES_KERBEROS).url]) {
      const e = endpoint(report, url);
      expect(e, url).toBeDefined();
      expect(e.auth).toBe('kerberos');
      expect(check(e, 'kerberos-ticket')).toMatchObject({ status: 'ok', detail: expect.stringContaining('HOST$') });
      expect(check(e, 'kerberos-spn')).toMatchObject({ status: 'ok', detail: expect.stringContaining('HTTP/127.0.0.1') });
      expect(check(e, 'kerberos-clock')).toMatchObject({ status: 'ok' });
      expect(check(e, 'auth')).toMatchObject({ status: 'ok', detail: expect.stringContaining('mutual authentication') });
      expect(e.healthy).toBe(true);
    }
  });

  it('an unregistered SPN: kerberos-spn fails with setspn as the fix, exit 4', async () => {
    const { code, report } = await doctor('spn', { kerberos: { keytab: k.hostKeytab, principal: MACHINE, servicePrincipal: 'HTTP/ces.wrong.example' } });
    expect(code).toBe(4);
    const e = endpoint(report, k.lab.endpoint(CEP_KERBEROS).url);
    expect(check(e, 'kerberos-spn')).toMatchObject({ status: 'fail', code: 'KERBEROS_SPN_UNKNOWN', exitCode: 4, fix: expect.stringContaining('setspn') });
    expect(e.problem).toMatchObject({ check: 'kerberos-spn', code: 'KERBEROS_SPN_UNKNOWN' });
  });

  it('a missing keytab: kerberos-ticket fails, exit 4', async () => {
    const { code, report } = await doctor('keytab', { kerberos: { keytab: join(k.work, 'gone.keytab'), principal: MACHINE } });
    expect(code).toBe(4);
    const e = endpoint(report, k.lab.endpoint(CEP_KERBEROS).url);
    expect(check(e, 'kerberos-ticket')).toMatchObject({ status: 'fail', code: 'KERBEROS_KEYTAB_MISSING', fix: expect.stringContaining('kerberos.keytab') });
  });

  describe('a KDC that refuses this clock', () => {
    let skewed: Kdc;
    beforeAll(async () => {
      skewed = await startKdc({ rejectAllTimestamps: true });
      skewed.addPrincipal(MACHINE);
    });
    afterAll(async () => skewed?.stop());

    it('kerberos-clock fails with time synchronisation as the fix, exit 4', async () => {
      const keytab = skewed.keytab(join(k.work, 'doctor-skew.keytab'), [MACHINE]);
      const { code, report } = await doctor('skew', { kerberos: { keytab, principal: MACHINE } }, skewed.krb5Conf);
      expect(code).toBe(4);
      const e = endpoint(report, k.lab.endpoint(CEP_KERBEROS).url);
      expect(check(e, 'kerberos-clock')).toMatchObject({ status: 'fail', code: 'KERBEROS_CLOCK_SKEW', fix: expect.stringContaining('synchronise the clock') });
    });
  });
});
