// Start-up recovery of one certificate's folder, run under its lock before anything else touches
// it: deletes what a crash left half-written, repairs the `current` pointer, and reports what
// the executor must still do (reinstall outputs, resolve an in-flight submission).
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { OutputConfig } from '../config/types.js';
import { isTempName } from './atomicFile.js';
import { generationName, isComplete, layout, newestComplete, readMeta, readPointer, writePointer } from './generations.js';
import { outputPaths, readOutputsMarker } from './outputs.js';
import { clearPending, hasSubmissionInFlight, readAnswer, readPending, removeStaleAnswer } from './pending.js';
import type { RecoveryReport } from './stateModel.js';

async function removeTempsIn(dir: string, accept: (name: string) => boolean = () => true): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isTempName(name) || !accept(name)) continue;
    const full = path.join(dir, name);
    await rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}

export async function recoverCertificate(certDir: string, id: string, outputs?: OutputConfig): Promise<RecoveryReport> {
  const paths = layout(certDir);
  const report: RecoveryReport = {
    id,
    removedTemps: [],
    pointerFixed: null,
    pendingCleared: false,
    submissionInFlight: false,
    outputsStale: false,
    currentNumber: null,
    actions: [],
  };

  report.removedTemps.push(
    ...(await removeTempsIn(certDir)),
    ...(await removeTempsIn(paths.generations)),
    ...(await removeTempsIn(paths.archive)),
    ...(await removeTempsIn(path.join(certDir, 'pending'))),
  );
  // One listing per folder: the output files usually share one.
  const outputBasesByDir = new Map<string, string[]>();
  for (const [, file] of outputs ? outputPaths(outputs) : []) {
    const dir = path.dirname(file);
    outputBasesByDir.set(dir, [...(outputBasesByDir.get(dir) ?? []), `${path.basename(file)}.tmp-`]);
  }
  for (const [dir, prefixes] of outputBasesByDir) {
    report.removedTemps.push(...(await removeTempsIn(dir, (name) => prefixes.some((prefix) => name.startsWith(prefix)))));
  }
  for (const file of report.removedTemps) report.actions.push(`removed leftover ${file}`);

  // A complete generation newer than the pointer can only come from a commit interrupted between
  // the folder rename and the pointer flip (rollback archives newer generations first): finish it.
  const pointer = await readPointer(certDir);
  const newest = await newestComplete(certDir);
  let currentNumber = pointer !== null && (await isComplete(paths.live(pointer))) ? pointer : null;
  if (newest !== null && (currentNumber === null || currentNumber < newest)) {
    await writePointer(certDir, newest);
    report.pointerFixed = { from: pointer, to: newest };
    report.actions.push(`current pointer ${pointer === null ? 'missing' : generationName(pointer)} → ${generationName(newest)}`);
    currentNumber = newest;
  } else if (newest === null && pointer !== null) {
    await rm(paths.pointer, { force: true });
    report.pointerFixed = { from: pointer, to: null };
    report.actions.push(`current pointer ${generationName(pointer)} named no complete generation: removed`);
  }

  report.currentNumber = currentNumber;
  const current = currentNumber !== null ? await readMeta(paths.live(currentNumber)) : null;
  const pending = await readPending(certDir).catch(() => null);
  if (pending && current?.requestId !== undefined && current.requestId === pending.meta.requestId) {
    await clearPending(certDir);
    report.pendingCleared = true;
    report.actions.push(`pending request ${pending.meta.requestId} is already installed as the current generation: cleared`);
  }

  if (await removeStaleAnswer(certDir)) report.actions.push('removed a saved answer that belongs to no recorded request');
  report.submissionInFlight = await hasSubmissionInFlight(certDir);
  if (report.submissionInFlight) {
    const answered = (await readAnswer(certDir)) !== null;
    report.actions.push(`a request was being submitted when the previous run stopped${answered ? '; its answer was saved and is acted on without sending it again' : ''}`);
  }

  if (outputs && outputPaths(outputs).length > 0 && currentNumber !== null) {
    const marker = await readOutputsMarker(certDir).catch(() => null);
    if (marker?.generation !== currentNumber) {
      report.outputsStale = true;
      report.actions.push(`output files are not from generation ${generationName(currentNumber)}: reinstall them`);
    }
  }
  return report;
}
