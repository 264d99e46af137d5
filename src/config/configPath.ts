// Where the configuration file is: --config, else $AUTOENROLL_CONFIG, else the OS default.
// Also the OS default state folder. Pure functions of platform and environment.
import path from 'node:path';

function programData(env: NodeJS.ProcessEnv): string {
  return env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData';
}

/** The OS default configuration file. */
export function defaultConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return path.win32.join(programData(env), 'autoenroll', 'config.yaml');
  if (platform === 'darwin') return '/Library/Application Support/autoenroll/config.yaml';
  return '/etc/autoenroll/config.yaml';
}

/** The OS default stateDir when the config does not name one. */
export function defaultStateDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return path.win32.join(programData(env), 'autoenroll', 'state');
  if (platform === 'darwin') return '/Library/Application Support/autoenroll/state';
  return '/var/lib/autoenroll';
}

/**
 * The config file to use: the --config value, else $AUTOENROLL_CONFIG, else the OS default.
 * A relative path is taken from `cwd`.
 */
export function resolveConfigPath(
  configOption: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: { cwd?: string; platform?: NodeJS.Platform } = {},
): string {
  const chosen = configOption || env.AUTOENROLL_CONFIG || defaultConfigPath(options.platform, env);
  return path.resolve(options.cwd ?? process.cwd(), chosen);
}
