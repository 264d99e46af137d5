// A lab plus a config pointing at it, and the built CLI started as a child process: what the
// service's end-to-end tests need. The lab's request log is the witness of every network request.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startLab } from '../../../src/lab/lab.js';
import type { Lab, LabLogEntry, LabTemplate } from '../../../src/lab/lab.js';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const CLI = path.join(REPO, 'bin/autoenroll.js');

const OID_BASE = '1.3.6.1.4.1.311.21.8.7510143.1436283.77';
// Key-based renewal allowed, issued at once (no manager approval), enrollee supplies subject.
const KBR_ENROLLMENT = 0x20 | 0x40 | 0x10000;
const KBR_SUBJECT = 0x1 | 0x8 | 0x10000;

export const SERVICE_TEMPLATES: LabTemplate[] = [
  // The acceptance lifecycle: 120 s certificates, 40 s renewal period.
  { name: 'SvcKBR', oid: `${OID_BASE}.1`, validitySeconds: 120, renewalSeconds: 40, minimalKeyLength: 256, enrollmentFlags: KBR_ENROLLMENT, subjectNameFlags: KBR_SUBJECT },
  // Far from renewal for the whole test (idle check).
  { name: 'SvcLong', oid: `${OID_BASE}.2`, validitySeconds: 365 * 86400, renewalSeconds: 42 * 86400, minimalKeyLength: 256, enrollmentFlags: KBR_ENROLLMENT, subjectNameFlags: KBR_SUBJECT },
];

export interface ServiceLab {
  lab: Lab;
  work: string;
  env: NodeJS.ProcessEnv;
  /** Writes <work>/<name>/config.yaml; returns its path. */
  writeConfig(name: string, certificate: { id: string; template: string; deploy?: string[]; shell?: boolean }, extra?: Record<string, unknown>): string;
  log(): LabLogEntry[];
  close(): Promise<void>;
}

export async function startServiceLab(): Promise<ServiceLab> {
  const work = mkdtempSync(path.join(tmpdir(), 'ae-svc-e2e-'));
  const lab = await startLab({ dir: path.join(work, 'lab'), port: 0, templates: SERVICE_TEMPLATES });
  const user = lab.users[0]!;
  return {
    lab,
    work,
    env: { ...process.env, LAB_PASSWORD: user.password, AUTOENROLL_CONFIG: '', NOTIFY_SOCKET: '' },
    writeConfig(name, certificate, extra = {}) {
      const dir = path.join(work, name);
      mkdirSync(dir, { recursive: true });
      const config = {
        stateDir: './state',
        trust: { caFile: lab.trustBundlePath },
        policyServers: [
          { url: lab.endpoint('KeyBasedRenewal_ADPolicyProvider_CEP_Certificate').url, auth: 'certificate', priority: 1 },
          { url: lab.endpoint('ADPolicyProvider_CEP_UsernamePassword').url, auth: 'username', priority: 10, username: user.username, password: { env: 'LAB_PASSWORD' } },
        ],
        certificates: [
          {
            id: certificate.id,
            template: certificate.template,
            subject: `CN=${certificate.id}.lab.test`,
            dns: [`${certificate.id}.lab.test`],
            key: { algorithm: 'EC', curve: 'P-256' },
            output: { cert: `./out/${certificate.id}.pem`, key: `./out/${certificate.id}.key`, chain: `./out/${certificate.id}-chain.pem` },
            ...(certificate.deploy ? { hooks: { deploy: certificate.deploy, ...(certificate.shell ? { shell: true } : {}) } } : {}),
          },
        ],
        transport: { connectTimeout: '5s', requestTimeout: '10s' },
        logging: { format: 'json' },
        ...extra,
      };
      const file = path.join(dir, 'config.yaml');
      writeFileSync(file, stringify(config));
      return file;
    },
    log: () => lab.requestLog(),
    close: () => lab.close(),
  };
}

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** Parsed JSON log lines so far. */
  events(): Array<Record<string, unknown> & { event: string; time: string }>;
  stderr(): string;
  waitForEvent(event: string, timeoutMs: number, count?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node bin/autoenroll.js run --config FILE` (the built CLI). */
export function startService(config: string, env: NodeJS.ProcessEnv): ServiceProcess {
  if (!existsSync(path.join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events = (): Array<Record<string, unknown> & { event: string; time: string }> =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { event: string; time: string });
  return {
    child,
    events,
    stderr: () => stderr,
    async waitForEvent(event, timeoutMs, count = 1) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events().filter((e) => e.event === event);
        if (found.length >= count) return found[count - 1]!;
        if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before "${event}":\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no "${event}" #${count} within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** CPU time (user + system, ms) of a Linux process, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Resident set size (bytes) of a Linux process, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : Number.NaN;
}
