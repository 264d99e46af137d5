// Every secret value the agent holds (enrollment passwords, PFX passwords, whatever a secret
// reference resolved to, a password read from stdin or a prompt) is registered here when it is
// resolved, and replaced by [REDACTED] wherever text leaves the process: log lines (hook output
// included), error messages (which may quote a server's text, and a hostile server may quote our
// request back), `status` and state.json, and the hook environment.
//
// The value is also looked for in the forms it takes inside JSON strings and XML text (escaped),
// since that is how a server or a log line carries it. Values shorter than MIN_SECRET_LENGTH are
// not registered: replacing every "a" would make logs unreadable and protect nothing.
export const REDACTED = '[REDACTED]';
export const MIN_SECRET_LENGTH = 4;

const forms = new Set<string>();
let ordered: string[] = [];

const xmlEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Remembers a secret value for redaction (idempotent). */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  const before = forms.size;
  for (const form of [value, JSON.stringify(value).slice(1, -1), xmlEscape(value), JSON.stringify(xmlEscape(value)).slice(1, -1)]) forms.add(form);
  if (forms.size !== before) ordered = [...forms].sort((a, b) => b.length - a.length);
}

/** The text with every registered secret replaced by [REDACTED]. */
export function redact(text: string): string {
  if (ordered.length === 0 || text.length < MIN_SECRET_LENGTH) return text;
  let out = text;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** For tests: forgets every registered value. */
export function clearSecrets(): void {
  forms.clear();
  ordered = [];
}
