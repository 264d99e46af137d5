// undici's Agent without the rest of undici. The package index also loads fetch, WebSocket,
// EventSource, the cache and mock layers (≈ 550 kB bundled, +47 ms at start-up); the Agent and
// the `request` API are about half of that (+18 ms). undici 7 has no `exports` map, so the deep
// paths are open to Node's resolver (typed in undiciAgentModule.d.ts). The index installs its API
// methods on Dispatcher.prototype; here only `request`, and only on this subclass, so nothing
// global changes.
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';

export class Agent extends AgentClass {}
Object.defineProperty(Agent.prototype, 'request', { value: apiRequest, writable: true, configurable: true });
