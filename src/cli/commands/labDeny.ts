// Placeholder until this command lands; the owning module replaces this file.
import { InternalError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export async function run(_options: unknown, _context: CommandContext): Promise<number> {
  throw new InternalError('the "labDeny" command is not available in this build yet', 'NOT_IMPLEMENTED');
}
