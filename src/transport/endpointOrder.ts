// The order in which endpoints are tried. Lower priority numbers are preferred (MS-XCEP
// §3.1.4.1.3.5); within one priority the order is shuffled afresh for every attempt, which is how
// Windows clients spread load over published URIs without a load balancer (protocol.md §7.2).
// An endpoint whose breaker is tripped goes to the end of its group: still tried, never dropped,
// so a fleet whose only endpoint just failed still retries it.
import type { Random } from './random.js';

export interface OrderableEndpoint {
  url: string;
  /** Lower is preferred; null (no priority published) is least preferred. */
  priority: number | null;
  /** Coarser preference applied before priority (e.g. key-based renewal endpoints before password ones); default 0. */
  tier?: number;
}

export interface EndpointHealth {
  isTripped(url: string, nowMs: number): boolean;
}

function groupKey(endpoint: OrderableEndpoint): [number, number] {
  return [endpoint.tier ?? 0, endpoint.priority ?? Number.POSITIVE_INFINITY];
}

function compareKeys(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

/** Fisher–Yates shuffle of a copy, driven by the injected random source. */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    const held = result[i] as T;
    result[i] = result[j] as T;
    result[j] = held;
  }
  return result;
}

/**
 * Endpoints in the order to try them: groups by (tier, priority) ascending, each group shuffled with
 * `random`, tripped endpoints last within their group. Pure; the input is not modified.
 */
export function orderEndpoints<T extends OrderableEndpoint>(
  endpoints: readonly T[],
  random: Random,
  health?: EndpointHealth,
  nowMs: number = Date.now(),
): T[] {
  const groups = new Map<string, { key: [number, number]; members: T[] }>();
  for (const endpoint of endpoints) {
    const key = groupKey(endpoint);
    const id = `${key[0]}|${key[1]}`;
    const group = groups.get(id) ?? { key, members: [] };
    group.members.push(endpoint);
    groups.set(id, group);
  }
  const ordered: T[] = [];
  for (const group of [...groups.values()].sort((a, b) => compareKeys(a.key, b.key))) {
    const shuffled = shuffle(group.members, random);
    if (health === undefined) {
      ordered.push(...shuffled);
      continue;
    }
    const healthy = shuffled.filter((endpoint) => !health.isTripped(endpoint.url, nowMs));
    const tripped = shuffled.filter((endpoint) => health.isTripped(endpoint.url, nowMs));
    ordered.push(...healthy, ...tripped);
  }
  return ordered;
}
