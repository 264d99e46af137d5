// Whether a certificate's output files are where the configuration says and present (read by the
// turn's recovery, which reinstalls them, and by `status`, which never calls such a certificate
// VALID). Light imports: `status` loads it.
import { stat } from 'node:fs/promises';
import type { OutputConfig } from '../config/types.js';
import { outputPaths } from './outputs.js';
import type { OutputsMarker } from './stateModel.js';

/**
 * Why the output files of the current generation must be written again: 'missing' (a configured
 * file is not there), 'paths' (the configured set differs from the one last installed); null
 * when they are in place. The generation itself is compared by the store's recovery.
 */
export async function outputsDrift(outputs: OutputConfig, marker: OutputsMarker | null): Promise<'missing' | 'paths' | null> {
  const configured = outputPaths(outputs).map(([, file]) => file);
  if (configured.length === 0) return null;
  for (const file of configured) {
    const missing = await stat(file).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT' || error.code === 'ENOTDIR',
    );
    if (missing) return 'missing';
  }
  const installed = new Set(marker?.paths ?? []);
  const wanted = new Set(configured);
  if (installed.size !== wanted.size || [...wanted].some((file) => !installed.has(file))) return 'paths';
  return null;
}

