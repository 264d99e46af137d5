/** One measured figure. A benchmark with a budget fails the bench run when its median exceeds it. */
export interface BenchResult {
  name: string;
  medianMs: number;
  budgetMs?: number;
  /** Extra figures worth reading beside the median (p90, ratios, sizes). */
  note?: string;
  /** Set when the benchmark's own goals (not its time) were missed; fails the bench run. */
  failed?: string;
}

/** Median of a list of millisecond samples. */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs fn `iterations` times after `warmup` runs; returns the per-run durations in ms. */
export async function sample(fn: () => unknown, iterations: number, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}
