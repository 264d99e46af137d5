// `autoenroll retrieve [--id ID]`: QueryTokenStatus for pending requests, at the CES that accepted
// them; installs what was issued (exit 0), reports what is still pending (5) or was denied (2).
import { runAgentCommand } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';

export interface RetrieveOptions {
  id?: string;
}

export async function run(options: RetrieveOptions, context: CommandContext): Promise<number> {
  return runAgentCommand(context, { operation: 'retrieve', ...(options.id !== undefined ? { ids: [options.id] } : {}) });
}
