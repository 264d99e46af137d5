// `autoenroll enroll [--id ID] [--wait SECONDS]`: initial enrollment of the configured certificates
// that have none (and a new enrollment of an expired or superseded one). A pending answer exits 5
// unless --wait polls it to issuance in time.
import { runAgentCommand } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';

export interface EnrollOptions {
  id?: string;
  wait?: number;
}

export async function run(options: EnrollOptions, context: CommandContext): Promise<number> {
  return runAgentCommand(context, {
    operation: 'enroll',
    ...(options.id !== undefined ? { ids: [options.id] } : {}),
    ...(options.wait !== undefined && options.wait > 0 ? { waitPendingMs: Math.round(options.wait * 1000) } : {}),
  });
}
