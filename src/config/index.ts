// Public surface of the configuration module. Importing this pulls in yaml + valibot (through the
// loader); code that only needs types should import './types.js' with `import type`.
export { loadConfig, parseConfig } from './loadConfig.js';
export type { LoadConfigOptions } from './loadConfig.js';
export { defaultConfigPath, defaultStateDir, resolveConfigPath } from './configPath.js';
export { formatDuration, parseDuration } from './duration.js';
export type * from './types.js';
export { DEFAULTS } from './types.js';
