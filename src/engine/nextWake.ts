// The instant the service sleeps until: the earliest thing anything is waiting for.

/** Earliest of the instants (nulls ignored); `fallbackMs` when there are none. */
export function earliestInstant(instants: Iterable<number | null>, fallbackMs: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const instant of instants) if (instant !== null && instant < earliest) earliest = instant;
  return Number.isFinite(earliest) ? earliest : fallbackMs;
}
