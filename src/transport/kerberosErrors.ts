// Kerberos failures as typed errors with cause and fix. The input is what MIT Kerberos said (kinit's
// stderr or a GSSAPI message from the binding), matched on the com_err texts of MIT krb5, which are
// stable across releases. Pure.
import { CredentialError, UnreachableError } from '../errors.js';
import type { AutoenrollError } from '../errors.js';

export const KerberosErrorCode = {
  PASSWORD_WRONG: 'KERBEROS_PASSWORD_WRONG',
  PRINCIPAL_UNKNOWN: 'KERBEROS_PRINCIPAL_UNKNOWN',
  KEYTAB_MISSING: 'KERBEROS_KEYTAB_MISSING',
  TICKET_EXPIRED: 'KERBEROS_TICKET_EXPIRED',
  KDC_UNREACHABLE: 'KERBEROS_KDC_UNREACHABLE',
  SPN_UNKNOWN: 'KERBEROS_SPN_UNKNOWN',
  CLOCK_SKEW: 'KERBEROS_CLOCK_SKEW',
  NO_CREDENTIALS: 'KERBEROS_NO_CREDENTIALS',
  REJECTED: 'KERBEROS_REJECTED',
  MUTUAL_AUTH_FAILED: 'KERBEROS_MUTUAL_AUTH_FAILED',
  NOT_OFFERED: 'KERBEROS_NOT_OFFERED',
  MODULE_MISSING: 'KERBEROS_MODULE_MISSING',
  KINIT_MISSING: 'KERBEROS_KINIT_MISSING',
  FAILED: 'KERBEROS_FAILED',
} as const;

export interface KerberosFailureContext {
  /** Who we are (or tried to be): a principal, or a description such as "the machine principals". */
  principal?: string;
  /** The service principal asked for, e.g. HTTP/ces.example.com. */
  spn?: string;
  /** The endpoint URL, when the failure happened while talking to one. */
  url?: string;
  keytab?: string;
  ccache?: string;
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

/** The typed error for what MIT Kerberos reported. */
export function classifyKerberosFailure(said: string, context: KerberosFailureContext): AutoenrollError {
  const who = context.principal ?? 'the client principal';
  const where = context.url ? `${context.url}: ` : '';
  const detail = lastLine(said).replace(/^kinit: /, '');
  if (/Password incorrect|Preauthentication failed|Pre-authentication failed: (?!Key table)/i.test(said) && !/Key table/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: the KDC refused the password of ${who} (${detail}). Fix: fix the password in the configured secret source (or the keytab, if it holds old keys: re-export it)`,
      KerberosErrorCode.PASSWORD_WRONG,
    );
  }
  if (/Client '?[^']*'? not found in Kerberos database|Client not found/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: the KDC does not know the principal ${who} (${detail}). Fix: check kerberos.principal or username (the realm is case-sensitive: USER@REALM.EXAMPLE)`,
      KerberosErrorCode.PRINCIPAL_UNKNOWN,
    );
  }
  if (/Key table file '.*' not found|Key table .* not found|No such file or directory.*keytab/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: the keytab ${context.keytab ?? ''} does not exist or is unreadable (${detail}). Fix: point kerberos.keytab at the machine keytab (usually /etc/krb5.keytab, created by realm join / adcli join)`,
      KerberosErrorCode.KEYTAB_MISSING,
    );
  }
  if (/Clock skew too great|KRB_AP_ERR_SKEW/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: this machine's clock differs from the KDC's by more than the tolerated skew (5 minutes by default) (${detail}). Fix: synchronise the clock (chrony or systemd-timesyncd against the domain controllers)`,
      KerberosErrorCode.CLOCK_SKEW,
    );
  }
  if (/Cannot contact any KDC|Cannot find KDC|unable to reach any KDC|Cannot resolve network address for KDC/i.test(said)) {
    return new UnreachableError(
      `${where}Kerberos: no KDC of the realm answered (${detail}). Fix: check the [realms] kdc entries or DNS SRV records in krb5.conf and that TCP/UDP port 88 to a domain controller is open`,
      [],
      KerberosErrorCode.KDC_UNREACHABLE,
    );
  }
  if (/Server .* not found in Kerberos database|Server not found in Kerberos database/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: the KDC has no service principal ${context.spn ?? ''} (${detail}). Fix: register the SPN on the account that runs the enrollment web service (setspn -S HTTP/<host name> <account>), or set kerberos.servicePrincipal to the name it is registered under`,
      KerberosErrorCode.SPN_UNKNOWN,
    );
  }
  if (/expired/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: the ticket of ${who}${context.ccache ? ` in ${context.ccache}` : ''} has expired (${detail}). Fix: renew it (kinit, or the tool that maintains the cache, such as sssd or k5start), or configure a keytab so that autoenroll gets its own tickets`,
      KerberosErrorCode.TICKET_EXPIRED,
    );
  }
  if (/No Kerberos credentials available|No credentials cache found|Can't find client principal|No credentials were supplied/i.test(said)) {
    return new CredentialError(
      `${where}Kerberos: no ticket for ${who}${context.ccache ? ` in ${context.ccache}` : ''} (${detail}). Fix: run kinit for it, or configure kerberos.keytab or a username and password`,
      KerberosErrorCode.NO_CREDENTIALS,
    );
  }
  return new CredentialError(`${where}Kerberos failed for ${who} (${detail || 'no detail'})`, KerberosErrorCode.FAILED);
}

/** The server answered our ticket with another 401. */
export function kerberosRejected(url: string, spn: string, principal: string | undefined): CredentialError {
  return new CredentialError(
    `${url}: the server refused the Kerberos ticket of ${principal ?? 'this machine'} for ${spn}. ` +
      'If the site requires Extended Protection for Authentication (channel binding tokens), that is why: autoenroll cannot send channel bindings ' +
      '(the MIT GSSAPI binding it uses passes none); otherwise the server\'s keytab does not hold the current key of the SPN, or the principal may not use the service. ' +
      'Fix: set Extended Protection to "Accept" or "Off" on the enrollment web service (IIS Manager → the CES/CEP application → Authentication → Windows Authentication → Advanced Settings), ' +
      'or use username/password or certificate authentication for this endpoint; or re-register the SPN / reset the service account key (setspn, ktpass).',
    KerberosErrorCode.REJECTED,
  );
}
