// Where `autoenroll lab`, `lab approve` and `lab deny` meet when no --dir is given: one stable
// folder under the OS temp directory, so the admin commands find a lab started in another shell.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function labDir(option: string | undefined, cwd: string): string {
  return option !== undefined && option !== '' ? resolve(cwd, option) : join(tmpdir(), 'autoenroll-lab');
}
