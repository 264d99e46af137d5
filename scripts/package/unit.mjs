// The systemd unit the packages ship: the same render as `autoenroll service install`
// (src/daemon/serviceFiles.ts), for the single executable at `executable`, with the start skipped
// until /etc/autoenroll/config.yaml exists.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './common.mjs';

export const CONFIG_PATH = '/etc/autoenroll/config.yaml';

export async function renderPackagedUnit(executable, work) {
  const dir = mkdtempSync(path.join(work, 'unit-'));
  try {
    const out = path.join(dir, 'serviceFiles.mjs');
    await build({ entryPoints: [path.join(root, 'src/daemon/serviceFiles.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
    const { DEFAULT_SERVICE_PARAMS, renderSystemdUnit } = await import(pathToFileURL(out).href);
    return renderSystemdUnit({ ...DEFAULT_SERVICE_PARAMS, nodePath: executable, cliPath: '', configPath: CONFIG_PATH, packaged: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
