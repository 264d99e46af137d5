// Installs a committed generation's material where consumers read it (output.cert/key/chain/
// fullchain/pfx). Each file is replaced atomically in its own folder, so a reader sees the old or
// the new file, never a torn one. Every file is fsynced before its rename; the folders holding
// them are fsynced once each after the last rename (not once per file), and only then is the
// marker written, so the marker never names a generation whose renames could still be lost.
// Every temporary file is written and fsynced first; only then are they renamed into place, one
// right after the other (key first, then the certificate files): the window in which a reader can
// see a certificate and a key of different generations is the time between two rename calls
// (microseconds), not the time to write and fsync a file. The `combined` output (key, certificate
// and chain in one file) has no such window at all. The outputs marker (written last) records
// which generation was fully installed, and recovery reports a stale one to reinstall.
import { chown, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { OutputConfig } from '../config/types.js';
import { InternalError } from '../errors.js';
import { ensureDir, readJsonFile, renameDurable, syncDir, tempName, writeJsonAtomic, writeNewFile } from './atomicFile.js';
import { crashPoint } from './crashPoint.js';
import type { Generation, OutputsMarker } from './stateModel.js';
import type { InstalledOutputs } from './storeTypes.js';

export type OutputKind = 'cert' | 'key' | 'chain' | 'fullchain' | 'pfx' | 'combined';

export function outputsMarkerPath(certDir: string): string {
  return path.join(certDir, 'outputs.json');
}

/** Every configured output path, by kind. */
export function outputPaths(outputs: OutputConfig): [OutputKind, string][] {
  const list: [OutputKind, string | undefined][] = [
    ['cert', outputs.cert],
    ['key', outputs.key],
    ['chain', outputs.chain],
    ['fullchain', outputs.fullchain],
    ['pfx', outputs.pfx?.path],
    ['combined', outputs.combined],
  ];
  return list.filter((entry): entry is [OutputKind, string] => entry[1] !== undefined);
}

function joinPem(...parts: string[]): string {
  return parts
    .filter((part) => part.trim() !== '')
    .map((part) => (part.endsWith('\n') ? part : `${part}\n`))
    .join('');
}

/**
 * Replaces one output file, keeping the owner and group of the file it replaces when we may
 * (root replacing /etc/ssl/private/x.key owned by root:ssl-cert keeps that group).
 */
async function writeOutputTemp(file: string, data: string | Uint8Array, mode: number, kind: OutputKind): Promise<string> {
  const previous = await stat(file).catch(() => null);
  const temp = tempName(file);
  try {
    await writeNewFile(temp, data, mode);
    if (previous && process.platform !== 'win32' && process.getuid?.() === 0) {
      await chown(temp, previous.uid, previous.gid).catch(() => undefined);
    }
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  crashPoint(`output:${kind}:temp-written`);
  return temp;
}

/** Key first, so that a reader polling cert then key finds the new key no later than the new certificate. */
const RENAME_ORDER: readonly OutputKind[] = ['combined', 'key', 'pfx', 'cert', 'fullchain', 'chain'];

export async function installOutputs(
  certDir: string,
  generation: Generation,
  outputs: OutputConfig,
  pfx?: { bytes: Uint8Array },
): Promise<InstalledOutputs> {
  if (outputs.pfx && !pfx) throw new InternalError('a PFX output is configured but no PFX was built for it', 'STATE_PFX_MISSING');
  const content: Record<OutputKind, () => string | Uint8Array> = {
    cert: () => joinPem(generation.certPem),
    key: () => generation.keyPem,
    chain: () => joinPem(generation.chainPem),
    fullchain: () => joinPem(generation.certPem, generation.chainPem),
    pfx: () => (pfx as { bytes: Uint8Array }).bytes,
    combined: () => joinPem(generation.keyPem, generation.certPem, generation.chainPem),
  };
  const written: string[] = [];
  const dirs = new Set<string>();
  const temps: { kind: OutputKind; file: string; temp: string }[] = [];
  try {
    for (const [kind, file] of outputPaths(outputs)) {
      const dir = path.dirname(file);
      if (!dirs.has(dir)) await ensureDir(dir, 0o755);
      dirs.add(dir);
      const secret = kind === 'key' || kind === 'pfx' || kind === 'combined';
      temps.push({ kind, file, temp: await writeOutputTemp(file, content[kind](), secret ? 0o600 : outputs.mode, kind) });
    }
    temps.sort((a, b) => RENAME_ORDER.indexOf(a.kind) - RENAME_ORDER.indexOf(b.kind));
    for (const entry of temps) {
      await renameDurable(entry.temp, entry.file);
      entry.temp = '';
      crashPoint(`output:${entry.kind}:renamed`);
    }
  } finally {
    for (const entry of temps) if (entry.temp !== '') await rm(entry.temp, { force: true }).catch(() => undefined);
  }
  for (const [, file] of outputPaths(outputs)) written.push(file);
  for (const dir of dirs) await syncDir(dir);
  const marker: OutputsMarker = { generation: generation.number, installedAt: new Date().toISOString(), paths: written };
  await writeJsonAtomic(outputsMarkerPath(certDir), marker, { mode: 0o644, crashLabel: 'outputs-marker' });
  return { generation: generation.number, paths: written };
}

export async function readOutputsMarker(certDir: string): Promise<OutputsMarker | null> {
  return readJsonFile<OutputsMarker>(outputsMarkerPath(certDir));
}
