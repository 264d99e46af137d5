// `autoenroll lab approve ID`: CA manager approval of a pending lab request.
import { runLabDecision } from '../../lab/labDecisionCommand.js';
import type { LabDecisionOptions } from '../../lab/labDecisionCommand.js';
import type { CommandContext } from '../context.js';

export function run(options: LabDecisionOptions, context: CommandContext): Promise<number> {
  return runLabDecision('approved', options, context);
}
