// `autoenroll run`: the service in the foreground (what the unit files start). See
// src/daemon/service.ts for the loop; this only wires the process (signals, streams) to it.
import { runService } from '../../daemon/service.js';
import { openAgentRuntime } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';
import { commandLogger, loadCommandConfig } from '../agentRuntime.js';

declare const __AUTOENROLL_VERSION__: string | undefined;
const VERSION = typeof __AUTOENROLL_VERSION__ === 'string' ? __AUTOENROLL_VERSION__ : '0.0.0-dev';

export async function run(_options: unknown, context: CommandContext): Promise<number> {
  // The config decides the log format; a config error is reported by main.ts (exit 4).
  const config = await loadCommandConfig(context);
  const logger = commandLogger(context, config.logging.format);
  return runService({
    open: () => openAgentRuntime(context),
    logger,
    signal: context.signal,
    onReload: (listener) => {
      process.on('SIGHUP', listener);
      return () => process.removeListener('SIGHUP', listener);
    },
    env: context.env,
    version: VERSION,
  });
}
