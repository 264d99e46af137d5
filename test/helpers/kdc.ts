// A real MIT Kerberos KDC on loopback for the tests: database, kdc.conf, client krb5.conf and
// keytabs in a temporary folder, krb5kdc in the foreground (-n) as a child process, stopped by
// stop(). Principals require pre-authentication, as in Active Directory. `rejectAllTimestamps`
// starts the KDC with a negative clock-skew tolerance, so that it answers every request with
// "Clock skew too great" exactly as a KDC whose clock is off does.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TOOLS = ['krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit', 'klist'];

function which(command: string): boolean {
  const result = spawnSync('sh', ['-c', `command -v ${command} || test -x /usr/sbin/${command}`], { stdio: 'ignore' });
  return result.status === 0;
}

/** Why a KDC cannot be started here (missing tools or module), or undefined when it can. */
export function kdcUnavailableReason(): string | undefined {
  const missing = TOOLS.filter((tool) => !which(tool));
  if (missing.length > 0) return `MIT Kerberos tools missing (${missing.join(', ')}): apt-get install krb5-kdc krb5-admin-server krb5-user`;
  try {
    createRequire(import.meta.url).resolve('kerberos');
  } catch {
    return 'the optional module "kerberos" is not installed (needs libkrb5-dev and build tools, then npm ci)';
  }
  return undefined;
}

/** For describe.skipIf: prints why, and refuses to skip under CI=true. */
export function skipKerberosTests(): boolean {
  const reason = kdcUnavailableReason();
  if (reason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`Kerberos tests cannot run in CI: ${reason}`);
  console.warn(`[skip] Kerberos tests: ${reason}`);
  return true;
}

export interface Kdc {
  realm: string;
  port: number;
  dir: string;
  /** The client krb5.conf (realm → this KDC); point KRB5_CONFIG at it. */
  krb5Conf: string;
  /** Environment for a process that should use this KDC. */
  env: Record<string, string>;
  /** A principal with a password, or with random keys when password is absent. */
  addPrincipal(name: string, password?: string): void;
  /** Writes the principals' keys to a keytab (a new kvno for each). */
  keytab(file: string, principals: string[]): string;
  /** A client krb5.conf like krb5Conf but pointing at another KDC port (for "unreachable"). */
  clientConfPointingAt(port: number): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function clientConf(realm: string, port: number, extra = ''): string {
  return `[libdefaults]
 default_realm = ${realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
 udp_preference_limit = 1
 kdc_timeout = 3s
 max_retries = 1
${extra}
[realms]
 ${realm} = {
  kdc = 127.0.0.1:${port}
 }
`;
}

export async function startKdc(options: { realm?: string; rejectAllTimestamps?: boolean } = {}): Promise<Kdc> {
  const realm = options.realm ?? 'LAB.TEST';
  const dir = mkdtempSync(path.join(tmpdir(), 'autoenroll-kdc-'));
  const port = await freePort();
  const kdcConf = path.join(dir, 'kdc.conf');
  writeFileSync(
    kdcConf,
    `[kdcdefaults]
 kdc_ports = ${port}
 kdc_tcp_ports = ${port}
[realms]
 ${realm} = {
  database_name = ${dir}/principal
  key_stash_file = ${dir}/stash
  acl_file = ${dir}/kadm5.acl
  max_life = 10h
  max_renewable_life = 0
  default_principal_flags = +preauth
 }
[logging]
 kdc = FILE:${dir}/kdc.log
`,
  );
  writeFileSync(path.join(dir, 'kadm5.acl'), '');
  const krb5Conf = path.join(dir, 'krb5.conf');
  writeFileSync(krb5Conf, clientConf(realm, port));
  const serverConf = path.join(dir, 'krb5-kdc.conf');
  writeFileSync(serverConf, clientConf(realm, port, options.rejectAllTimestamps ? ' clockskew = -1' : ''));
  const adminEnv = { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, KRB5_CONFIG: serverConf, KRB5_KDC_PROFILE: kdcConf, LC_ALL: 'C' };

  const run = (command: string, args: string[]): void => {
    const result = spawnSync(command, args, { env: adminEnv, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout || String(result.error)}`);
  };
  // The master password is a throwaway of this temporary database.
  run('kdb5_util', ['create', '-s', '-r', realm, '-P', 'throwaway-master-key']);
  const kadmin = (query: string): void => {
    const result = spawnSync('kadmin.local', ['-r', realm, '-q', query], { env: adminEnv, encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0 || /error|not found|cannot|failed/i.test(result.stderr.replace(/^Authenticating as.*$/m, ''))) throw new Error(`kadmin.local ${query.replace(/-pw \S+/, '-pw ***')}: ${output}`);
  };

  const child: ChildProcess = spawn('krb5kdc', ['-n', '-P', path.join(dir, 'kdc.pid')], { env: adminEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, () => (child.exitCode !== null ? `krb5kdc exited: ${stderr}` : undefined));

  return {
    realm,
    port,
    dir,
    krb5Conf,
    env: { KRB5_CONFIG: krb5Conf },
    addPrincipal(name, password) {
      kadmin(password === undefined ? `addprinc -randkey ${name}` : `addprinc -pw ${password} ${name}`);
    },
    keytab(file, principals) {
      for (const principal of principals) kadmin(`ktadd -k ${file} ${principal}`);
      return file;
    },
    clientConfPointingAt(otherPort) {
      const file = path.join(dir, `krb5-port-${otherPort}.conf`);
      writeFileSync(file, clientConf(realm, otherPort));
      return file;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`krb5kdc did not listen on port ${port} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
