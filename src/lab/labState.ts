// <dir>/lab.json: what must survive a lab restart besides the PKI and requests — the policy ID
// and the generated user password (0600: it holds a password).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from './atomicFile.js';
import type { LabUser } from './labCore.js';

export interface LabState {
  policyId: string;
  users: LabUser[];
}

export const DEFAULT_USERNAME = 'LAB\\enroll';

export async function loadOrCreateState(dir: string, users?: LabUser[]): Promise<LabState> {
  const path = join(dir, 'lab.json');
  let state: LabState | undefined;
  if (existsSync(path)) {
    try {
      state = JSON.parse(await readFile(path, 'utf8')) as LabState;
    } catch (error) {
      throw new InputError(`${path} is not readable lab state; delete the lab folder to start afresh`, 'LAB_STATE_CORRUPT', { cause: error });
    }
  }
  const next: LabState = {
    policyId: state?.policyId ?? `{${randomUUID().toUpperCase()}}`,
    users: users ?? state?.users ?? [{ username: DEFAULT_USERNAME, password: randomBytes(12).toString('base64url') }],
  };
  if (!state || JSON.stringify(state) !== JSON.stringify(next)) await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, 0o600);
  return next;
}
