// Plain-text tables for the readable output of `status`, `plan` and `doctor`: columns padded to
// their widest cell, no colours (output is often piped into mail or logs).

export interface TableOptions {
  /** Spaces between columns (default 2). */
  gap?: number;
  /** Left margin (default 0). */
  indent?: number;
}

/** Renders a header row and data rows; every line ends with "\n". Trailing spaces are trimmed. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const gap = ' '.repeat(options.gap ?? 2);
  const indent = ' '.repeat(options.indent ?? 0);
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) => `${indent}${widths.map((width, column) => (row[column] ?? '').padEnd(width)).join(gap)}`.trimEnd())
    .join('\n')
    .concat('\n');
}

/** "key   value" lines with the keys padded to the widest one. */
export function renderPairs(pairs: readonly (readonly [string, string])[], indent = 2): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${' '.repeat(indent)}${key.padEnd(width)}  ${value}`.trimEnd()).join('\n').concat('\n');
}
