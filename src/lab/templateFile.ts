// `autoenroll lab --templates FILE`: the lab's certificate templates from a YAML or JSON list, so an
// administrator's changes can be acted out — grant or withdraw autoEnroll, publish a template that
// supersedes another, remove one — by editing the file and restarting the lab on the same --dir
// (its CA, users and request store are kept).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import type { LabTemplate } from './templates.js';

const NUMBER_KEYS = ['schema', 'majorVersion', 'minorVersion', 'validitySeconds', 'renewalSeconds', 'enrollmentFlags', 'subjectNameFlags', 'privateKeyFlags', 'generalFlags', 'minimalKeyLength'] as const;
const KNOWN = new Set<string>(['name', 'oid', 'extendedKeyUsages', 'supersedes', 'autoEnroll', ...NUMBER_KEYS]);

/** Validates a parsed template list; every problem names the entry and the key. */
export function labTemplatesFrom(input: unknown, source: string): LabTemplate[] {
  const fail = (message: string): never => {
    throw new UsageError(`${source}: ${message}`, 'LAB_BAD_TEMPLATES');
  };
  const list = Array.isArray(input) ? input : (input as { templates?: unknown } | null)?.templates;
  if (!Array.isArray(list) || list.length === 0) return fail('expected a non-empty list of templates (or a mapping with "templates:")');
  const names = new Set<string>();
  const templates = list.map((item: unknown, index): LabTemplate => {
    const at = `templates[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`${at}: expected a mapping`);
    const t = item as Record<string, unknown>;
    for (const key of Object.keys(t)) if (!KNOWN.has(key)) fail(`${at}: unknown key "${key}"`);
    if (typeof t.name !== 'string' || t.name.trim() === '') fail(`${at}.name: expected the template common name`);
    if (typeof t.oid !== 'string' || !/^\d+(\.\d+)+$/.test(t.oid)) fail(`${at}.oid: expected a dotted OID`);
    for (const key of NUMBER_KEYS) {
      const value = t[key];
      if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) fail(`${at}.${key}: expected a whole number`);
    }
    for (const key of ['validitySeconds', 'renewalSeconds'] as const) if (t[key] === undefined || (t[key] as number) <= 0) fail(`${at}.${key}: required, more than 0`);
    if (t.autoEnroll !== undefined && typeof t.autoEnroll !== 'boolean') fail(`${at}.autoEnroll: expected true or false`);
    for (const key of ['supersedes', 'extendedKeyUsages'] as const) {
      const value = t[key];
      if (value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))) fail(`${at}.${key}: expected a list of strings`);
    }
    if (names.has(t.name as string)) fail(`${at}.name: "${String(t.name)}" is listed twice`);
    names.add(t.name as string);
    return t as unknown as LabTemplate;
  });
  for (const t of templates) {
    for (const old of t.supersedes ?? []) if (old === t.name) fail(`template "${t.name}" supersedes itself`);
  }
  return templates;
}

export async function readLabTemplates(file: string): Promise<LabTemplate[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the lab templates file ${file}: ${(error as Error).message}`, 'LAB_BAD_TEMPLATES');
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`, 'LAB_BAD_TEMPLATES');
  }
  return labTemplatesFrom(parsed, file);
}
