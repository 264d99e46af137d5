// Instants and durations as people read them in a terminal. Machine output (--json) uses ISO 8601
// strings instead; these are only for the readable forms.
import { humanInstant } from '../../log/instant.js';

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
] as const;

/** ISO 8601 without milliseconds: 2026-03-01T12:00:00Z. */
export function formatInstant(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return humanInstant(ms);
}

/** The two largest units of a duration: "3d 4h", "12m 5s", "0s". Sub-second values round to "<1s". */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return abs === 0 ? '0s' : '<1s';
  const parts: string[] = [];
  let rest = abs;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n}${unit}`);
      rest -= n * size;
      if (parts.length === 2 || (parts.length === 1 && n === 0)) break;
    }
  }
  return parts.join(' ');
}

/** "in 3d 4h" / "2h 5m ago" / "now" relative to `nowMs`. */
export function formatRelative(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const delta = ms - nowMs;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatSpan(delta)}` : `${formatSpan(delta)} ago`;
}

/** An instant with its distance from now: "2026-03-01T12:00:00Z (in 3d 4h)". */
export function formatWhen(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return `${formatInstant(ms)} (${formatRelative(ms, nowMs)})`;
}
