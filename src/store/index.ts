// Public surface of the state store.
export { openStore } from './store.js';
export { crashPoint, STORE_CRASH_POINTS } from './crashPoint.js';
export { readJsonFile, writeFileAtomic, writeJsonAtomic } from './atomicFile.js';
export type * from './stateModel.js';
export { emptyState, STATE_SCHEMA_VERSION } from './stateModel.js';
export type * from './storeTypes.js';
