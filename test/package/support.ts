// Shared by the package tests: where `npm run package` put its artifacts, whether they were built
// from the bundle in dist/ now, a lab started as its own process (from the executable under test,
// or from node), and a configuration that enrolls against it.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const repo = path.resolve(import.meta.dirname, '../..');
export const packageDir = path.join(repo, 'dist', 'package');
export const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;

export interface BuildInfo {
  version: string;
  bundleSha256: string;
  artifacts: Record<string, { file: string; bytes: number }>;
  skipped: Record<string, string>;
  nativeModules: string[];
  extras: { manPage: boolean; completions: string[]; notes: string[] };
  durationsMs: Record<string, number>;
}

/**
 * The build info of dist/package when it was built from the current dist/cli.cjs, else the reason
 * it cannot be used. In CI (.ci/run builds the packages before the tests) a missing or stale
 * build is an error, not a skip.
 */
export function packagedBuild(): { info: BuildInfo; reason?: undefined } | { info?: undefined; reason: string } {
  const infoFile = path.join(packageDir, 'build-info.json');
  const bundle = path.join(repo, 'dist', 'cli.cjs');
  let reason: string | undefined;
  let info: BuildInfo | undefined;
  if (!existsSync(infoFile) || !existsSync(bundle)) reason = 'dist/package is not built (npm run package)';
  else {
    info = JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo;
    if (info.bundleSha256 !== createHash('sha256').update(readFileSync(bundle)).digest('hex')) reason = 'dist/package was built from another dist/cli.cjs (npm run package again)';
  }
  if (reason === undefined && info !== undefined) return { info };
  if (process.env.CI) throw new Error(`${reason}: .ci/run builds the packages before npm test`);
  console.warn(`[skip] ${reason}: the package tests are skipped`);
  return { reason: reason ?? 'unknown' };
}

export function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: 'utf8', env: options.env ?? {}, input: options.input ?? '', timeout: options.timeout ?? 60_000, ...(options.cwd ? { cwd: options.cwd } : {}) });
}

export interface LabSummary {
  endpoints: { name: string; url: string }[];
  trust: { caFile: string };
  users: { username: string; password: string }[];
}

export interface RunningLab {
  summary: LabSummary;
  stop(): Promise<void>;
}

/** Starts `<command...> lab --dir DIR --port 0 --json` and waits for its one-line summary. */
export function startLab(command: string[], dir: string, env: NodeJS.ProcessEnv = {}): Promise<RunningLab> {
  const [file, ...args] = command as [string, ...string[]];
  const child: ChildProcess = spawn(file, [...args, 'lab', '--dir', dir, '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the lab printed no summary within 30 s: ${err}`));
    }, 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve({ summary: JSON.parse(line) as LabSummary, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the lab exited ${code} before its summary: ${err}`));
    });
  });
}

/**
 * A configuration in `dir` that enrolls `web` (template LabWebServer, issued at once) with the
 * lab's user; the password in a 0600 file, so it works in an empty environment.
 */
export function writeLabConfig(dir: string, lab: LabSummary, stateDir = './state'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'password'), `${lab.users[0]!.password}\n`, { mode: 0o600 });
  const cep = lab.endpoints.find((e) => e.name === 'ADPolicyProvider_CEP_UsernamePassword')!.url;
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    `stateDir: ${JSON.stringify(stateDir)}
trust:
  caFile: ${JSON.stringify(lab.trust.caFile)}
policyServers:
  - url: ${cep}
    auth: username
    priority: 10
    username: ${JSON.stringify(lab.users[0]!.username)}
    password: { file: ${JSON.stringify(path.join(dir, 'password'))} }
certificates:
  - id: web
    template: LabWebServer
    subject: CN=web.package.test
    dns: [web.package.test]
    output: { cert: ./out/web.pem, key: ./out/web.key, chain: ./out/chain.pem }
`,
  );
  return file;
}
