// Types for the deep undici modules imported by undiciAgent.ts: undici ships typings for its index
// only. Each CommonJS export is the same value the index exports or installs.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  const request: Dispatcher['request'];
  export default request;
}
