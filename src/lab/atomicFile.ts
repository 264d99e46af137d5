// Atomic file replacement for the lab folder: readers (a running lab, `lab approve` in another
// process) never see a half-written file. The store's helper does the work; the lab keeps its
// positional mode and does not fsync the folder after each file (a lab folder lost in a power
// cut is recreated, and the folder fsync would sit on the path of every issued request).
import { writeFileAtomic as writeDurable } from '../store/atomicFile.js';

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await writeDurable(path, data, { mode, syncFolder: false });
}
