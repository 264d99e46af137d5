// `autoenroll renew [--id ID] [--force] [--reuse-key]`: key-based renewal now. Without --force only
// certificates inside their renewal window are renewed; an expired certificate exits 7 (key-based
// renewal is impossible; `autoenroll enroll` with credentials recovers it).
import { runAgentCommand } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';

export interface RenewOptions {
  id?: string;
  force?: boolean;
  reuseKey?: boolean;
}

export async function run(options: RenewOptions, context: CommandContext): Promise<number> {
  return runAgentCommand(context, {
    operation: 'renew',
    ...(options.id !== undefined ? { ids: [options.id] } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.reuseKey ? { reuseKey: true } : {}),
  });
}
