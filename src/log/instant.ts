// The one time format of every human message (errors, status notes, plan, doctor): ISO 8601 in
// UTC to the second, with Z — 2026-03-01T12:00:00Z. Machine output (--json, logs) keeps full ISO
// strings.

export function humanInstant(value: number | Date | string | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
