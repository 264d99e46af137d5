// A Kerberos ticket for a policy server with auth: kerberos, from one of three sources:
// - an existing credential cache (kept up to date by sssd, k5start, a cron'd kinit …): used as it is,
//   after `klist -s` says it holds a valid ticket;
// - a keytab (default /etc/krb5.keytab) and a principal, or, without one, the machine principals
//   cepces tries, in this order: <short name>$, <SHORT NAME>$, host/<SHORT NAME>, host/<fqdn>;
// - a username and password (from a secret source): `kinit` reads the password on its stdin.
// Keytab and password logins go into a private FILE: cache, <tmp>/autoenroll-krb5-XXXXXX/ccache
// (folder 0700, cache 0600, this process only), removed when the process exits or dispose() is
// called. kinit runs with an explicit, minimal environment; the password never appears in argv,
// in the environment or in a message.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { CredentialError } from '../errors.js';
import { classifyKerberosFailure, KerberosErrorCode } from '../transport/kerberosErrors.js';

const KINIT_TIMEOUT_MS = 30_000;

export type KerberosLogin =
  | { kind: 'ccache'; ccache: string }
  | { kind: 'keytab'; keytab: string; principal?: string; /** a forwardable ticket (needed for delegation) */ forwardable?: boolean }
  | { kind: 'password'; principal: string; password: string; forwardable?: boolean };

export interface KerberosTicket {
  /** FILE:/path (or the configured cache name). */
  ccache: string;
  /** The principal logged in as; absent for an existing cache (its default principal is used). */
  principal?: string;
  /** Removes a private cache (nothing for an existing one). */
  dispose(): void;
}

/** The principals tried with a keytab and no configured principal, as cepces does. */
export function machinePrincipals(host: string = hostname()): string[] {
  const fqdn = host.toLowerCase();
  const short = fqdn.split('.')[0] ?? fqdn;
  const principals = [`${short}$`, `${short.toUpperCase()}$`, `host/${short.toUpperCase()}`, `host/${fqdn}`];
  return [...new Set(principals)];
}

const privateDirs = new Set<string>();
let exitHook = false;
function removeOnExit(dir: string): void {
  privateDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const folder of privateDirs) rmSync(folder, { recursive: true, force: true });
  });
}

/** The environment kinit/klist run with: enough to find krb5.conf and our cache, nothing else. */
export function krb5ChildEnvironment(ccache: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', KRB5CCNAME: ccache };
  for (const name of ['KRB5_CONFIG', 'KRB5_KDC_PROFILE', 'KRB5RCACHEDIR', 'KRB5_TRACE'] as const) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

interface RunResult {
  code: number | null;
  stderr: string;
  missing: boolean;
}

function run(command: string, args: string[], env: Record<string, string>, stdin?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'ignore', 'pipe'], timeout: KINIT_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stderr: error.message, missing: error.code === 'ENOENT' }));
    child.on('close', (code, signal) => resolve({ code, stderr: signal === 'SIGKILL' ? `${stderr}\nCannot contact any KDC (kinit timed out after ${KINIT_TIMEOUT_MS} ms)` : stderr, missing: false }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

function kinitMissing(): CredentialError {
  return new CredentialError('Kerberos: kinit is not installed. Fix: install the MIT Kerberos client tools (Debian/Ubuntu: apt-get install krb5-user; RHEL/Fedora: dnf install krb5-workstation)', KerberosErrorCode.KINIT_MISSING);
}

/** Checks a cache holds an unexpired ticket (klist -s). */
async function checkCache(ccache: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await run('klist', ['-s'], krb5ChildEnvironment(ccache, env));
  if (result.missing) throw kinitMissing();
  if (result.code === 0) return;
  const file = ccache.replace(/^FILE:/, '');
  let exists = true;
  try {
    if (!/^[A-Z]+:/.test(ccache) || ccache.startsWith('FILE:')) accessSync(file, constants.R_OK);
  } catch {
    exists = false;
  }
  throw exists
    ? classifyKerberosFailure('ticket expired (klist -s found no valid ticket)', { ccache })
    : classifyKerberosFailure('No credentials cache found', { ccache });
}

/** Obtains (or checks) the ticket for a login. */
export async function obtainTicket(login: KerberosLogin, env: NodeJS.ProcessEnv = process.env, host?: string): Promise<KerberosTicket> {
  if (login.kind === 'ccache') {
    await checkCache(login.ccache, env);
    return { ccache: login.ccache, dispose: () => undefined };
  }
  if (login.kind === 'keytab') {
    try {
      accessSync(login.keytab, constants.R_OK);
    } catch (error) {
      throw new CredentialError(
        `Kerberos: the keytab ${login.keytab} does not exist or is not readable by this user (${(error as NodeJS.ErrnoException).code ?? 'error'}). Fix: point kerberos.keytab at the machine keytab (realm join / adcli join writes /etc/krb5.keytab) and make it readable by the service user only`,
        KerberosErrorCode.KEYTAB_MISSING,
      );
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'autoenroll-krb5-'));
  removeOnExit(dir);
  const ccache = `FILE:${path.join(dir, 'ccache')}`;
  const dispose = (): void => {
    rmSync(dir, { recursive: true, force: true });
    privateDirs.delete(dir);
  };
  const childEnv = krb5ChildEnvironment(ccache, env);
  try {
    if (login.kind === 'password') {
      const result = await run('kinit', [...(login.forwardable ? ['-f'] : []), '--', login.principal], childEnv, `${login.password}\n`);
      if (result.missing) throw kinitMissing();
      if (result.code !== 0) throw classifyKerberosFailure(result.stderr, { principal: login.principal });
      return { ccache, principal: login.principal, dispose };
    }
    const candidates = login.principal !== undefined ? [login.principal] : machinePrincipals(host);
    let firstFailure: { principal: string; stderr: string } | undefined;
    for (const principal of candidates) {
      const result = await run('kinit', [...(login.forwardable ? ['-f'] : []), '-k', '-t', login.keytab, '--', principal], childEnv);
      if (result.missing) throw kinitMissing();
      if (result.code === 0) return { ccache, principal, dispose };
      // A KDC that cannot be reached, or a clock it refuses, will not accept the next principal either.
      if (/Cannot contact any KDC|Clock skew/i.test(result.stderr)) throw classifyKerberosFailure(result.stderr, { principal, keytab: login.keytab });
      firstFailure ??= { principal, stderr: result.stderr };
    }
    const failure = firstFailure as { principal: string; stderr: string };
    if (login.principal === undefined && /not found in Kerberos database|Keytab contains no suitable keys|No key table entry/i.test(failure.stderr)) {
      throw new CredentialError(
        `Kerberos: none of the machine principals (${candidates.join(', ')}) could log in with the keytab ${login.keytab} (first: ${failure.stderr.trim().split('\n').pop() ?? ''}). Fix: set kerberos.principal to the one in the keytab (klist -k ${login.keytab})`,
        KerberosErrorCode.PRINCIPAL_UNKNOWN,
      );
    }
    throw classifyKerberosFailure(failure.stderr, { principal: failure.principal, keytab: login.keytab });
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The default principal of a cache (klist), for messages and doctor; undefined when unknown. */
export function cachePrincipal(ccache: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('klist', [], { env: krb5ChildEnvironment(ccache, env), timeout: 5_000 }, (error, stdout) => {
      resolve(error ? undefined : /Default principal:\s*(\S+)/.exec(stdout)?.[1]);
    });
  });
}
