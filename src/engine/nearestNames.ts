// "Did you mean": the known names closest to a mistyped one (a template name, a certificate id),
// by edit distance ignoring case, so that messages can name what the user probably meant.

function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/**
 * Up to `max` of `known` close to `wanted`, closest first: within a third of the longer name's
 * length (at least 2 edits), or containing it / contained in it, ignoring case.
 */
export function nearestNames(wanted: string, known: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  return [...new Set(known)]
    .filter((name) => name !== wanted)
    .map((name) => ({ name, d: distance(wanted, name), contains: w.length >= 3 && (name.toLowerCase().includes(w) || w.includes(name.toLowerCase())) }))
    .filter(({ name, d, contains }) => contains || d <= Math.max(2, Math.floor(Math.max(name.length, wanted.length) / 3)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map(({ name }) => name);
}

/** " (did you mean X or Y?)", or "" when nothing is close. */
export function didYouMean(wanted: string, known: readonly string[]): string {
  const near = nearestNames(wanted, known);
  if (near.length === 0) return '';
  const quoted = near.map((n) => `"${n}"`);
  return ` (did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`}?)`;
}
