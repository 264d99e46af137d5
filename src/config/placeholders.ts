// Placeholders of the autoenroll section's subject and SAN defaults: {fqdn}, {hostname} and
// {template}, expanded once per policy template. Pure; the host facts are read by the shell.

export const PLACEHOLDERS = ['fqdn', 'hostname', 'template'] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<PlaceholderName, string>;

const PATTERN = /\{([^{}]*)\}/g;

/** Names written between braces that are not placeholders (for the config loader's message). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PATTERN)].map((m) => m[1] as string).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

/** The text with every known placeholder replaced; unknown ones are left as written. */
export function expandPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(PATTERN, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? values[name as PlaceholderName] : whole));
}
