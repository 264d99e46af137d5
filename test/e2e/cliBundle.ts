// The real CLI as a separate process: src/cli/entry.ts bundled with esbuild into a private folder
// (the same build as `npm run build`, without racing other builds of the shared dist/).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/** `parent`: where the private folder is made (inside the checkout, optional modules resolve from its node_modules). */
export async function bundleCli(parent: string = tmpdir()): Promise<string> {
  const dir = mkdtempSync(join(parent, 'autoenroll-bundle-'));
  await build({
    entryPoints: { main: join(import.meta.dirname, '../../src/cli/entry.ts') },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __aeCreateRequire } from 'node:module'; const require = __aeCreateRequire(import.meta.url);" },
    external: ['@napi-rs/keyring', 'kerberos', 'pkcs11js'],
    logLevel: 'error',
  });
  return join(dir, 'main.js');
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runBundle(bundle: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
