// `autoenroll doctor` for one Kerberos endpoint: can a ticket be had (keytab, cache or password
// login at the KDC), does the KDC know the endpoint's service principal (a service ticket for
// HTTP/<host> is requested), and does the KDC accept this machine's clock (it refuses requests more
// than its tolerance, 5 minutes by default, away from its own time). Each failure with cause and fix.
import type { PolicyServerConfig } from '../config/types.js';
import { CredentialError, isAutoenrollError } from '../errors.js';
import { startInitiator } from '../native/gss.js';
import { classifyKerberosFailure, KerberosErrorCode } from '../transport/kerberosErrors.js';
import { servicePrincipalFor } from '../transport/negotiate.js';
import type { SecretResolver } from './agentTypes.js';
import { failed, skipped } from './doctorChecks.js';
import type { DoctorCheck } from './doctorTypes.js';
import type { EndpointCredential } from './endpointCredential.js';
import { kerberosCredential, kerberosModuleMissing, kerberosModuleProblem } from './kerberosCredential.js';

export interface KerberosDoctorResult {
  checks: DoctorCheck[];
  /** Set when a ticket was obtained: the round trip can go on with it. */
  credential?: EndpointCredential;
}

function hostBased(spn: string): string {
  const name = spn.replace(/@[^@/]*$/, '');
  const slash = name.indexOf('/');
  return slash < 0 ? name : `${name.slice(0, slash)}@${name.slice(slash + 1)}`;
}

export async function kerberosDoctorChecks(server: PolicyServerConfig | undefined, url: string, resolveSecret: SecretResolver, nowMs: number): Promise<KerberosDoctorResult> {
  if (server === undefined) {
    const none = new CredentialError('no policy server has auth: kerberos, so there is no Kerberos ticket for this endpoint. Fix: add a policy server with auth: kerberos (and its keytab, cache or password)', KerberosErrorCode.NO_CREDENTIALS);
    return { checks: [failed('kerberos-ticket', none), skipped('kerberos-spn', 'no ticket'), skipped('kerberos-clock', 'no ticket')] };
  }
  if (kerberosModuleProblem() !== undefined) {
    return { checks: [failed('kerberos-ticket', kerberosModuleMissing()), skipped('kerberos-spn', 'Kerberos is not available'), skipped('kerberos-clock', 'Kerberos is not available')] };
  }
  let credential: EndpointCredential;
  try {
    credential = await kerberosCredential(server, resolveSecret, nowMs);
  } catch (error) {
    const skew = isAutoenrollError(error) && error.code === KerberosErrorCode.CLOCK_SKEW;
    return {
      checks: [
        failed('kerberos-ticket', error),
        skipped('kerberos-spn', 'no ticket'),
        skew ? failed('kerberos-clock', error) : skipped('kerberos-clock', 'the KDC did not judge the clock (no ticket)'),
      ],
    };
  }
  if (credential.kind !== 'kerberos') return { checks: [] };
  const identity = credential.identity;
  const who = identity.principal ?? 'the default principal of the cache';
  const source = server.kerberos?.credential.kind ?? 'keytab';
  const checks: DoctorCheck[] = [{ name: 'kerberos-ticket', status: 'ok', detail: `ticket for ${who} (from the ${source === 'password' ? 'password' : source === 'ccache' ? 'credential cache' : 'keytab'})` }];
  const spn = servicePrincipalFor(url, identity.servicePrincipal);
  try {
    await startInitiator({ service: hostBased(spn), delegation: false, ...(identity.principal ? { principal: identity.principal } : {}), ...(identity.ccache ? { ccache: identity.ccache } : {}) });
    checks.push({ name: 'kerberos-spn', status: 'ok', detail: `the KDC issued a service ticket for ${spn}` });
    checks.push({ name: 'kerberos-clock', status: 'ok', detail: "the KDC accepted this machine's clock (within its tolerance, 5 minutes by default)" });
  } catch (error) {
    const classified = classifyKerberosFailure((error as Error).message, { spn, url, ...(identity.principal ? { principal: identity.principal } : {}) });
    checks.push(failed('kerberos-spn', classified));
    checks.push(classified.code === KerberosErrorCode.CLOCK_SKEW ? failed('kerberos-clock', classified) : { name: 'kerberos-clock', status: 'ok', detail: "the KDC accepted this machine's clock when the ticket was issued" });
    return { checks };
  }
  return { checks, credential };
}
