// `autoenroll demo` (and `npm start`): the built-in lab and the agent, end to end in under a
// minute — username/password enrollment, pending, approval, retrieval, key-based renewal in the
// renewal window, failover to a second renewal-only CES. The story lives in ../demo/.
import type { CommandContext } from '../context.js';

export interface DemoCommandOptions {
  dir?: string;
}

export async function run(options: DemoCommandOptions, context: CommandContext): Promise<number> {
  const { runDemo } = await import('../demo/runDemo.js');
  return runDemo(options.dir !== undefined ? { dir: options.dir } : {}, context);
}
