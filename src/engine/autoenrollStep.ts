// The shell around the autoenroll derivation: reads what was managed (stateDir/autoenroll.json)
// and which of those certificates hold a certificate now, derives, and writes the registry back
// when it changed. Used by the pass (which writes) and by `status`/`plan` (which only read).
import type { CertificateConfig, Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { readAutoenrollRegistry, writeAutoenrollRegistry } from '../store/autoenrollRegistry.js';
import type { AutoenrollRecord } from '../store/autoenrollRegistry.js';
import type { Store } from '../store/storeTypes.js';
import { deriveAutoenrollment } from './autoenrollment.js';
import type { AutoenrollEntry, AutoenrollResult } from './autoenrollment.js';
import type { PolicyView } from './cachedPolicy.js';
import { hostFacts } from './hostFacts.js';

export interface AutoenrollDerivation extends AutoenrollResult {
  /** The registry as read (to tell whether it changed). */
  previous: AutoenrollRecord[];
}

const EMPTY: AutoenrollDerivation = { managed: [], reported: [], entries: [], records: [], previous: [] };

/** Ids among `ids` whose current generation is valid at `nowMs`. */
export async function holdingCertificate(store: Store, ids: readonly string[], nowMs: number): Promise<Set<string>> {
  const held = new Set<string>();
  await Promise.all(
    ids.map(async (id) => {
      try {
        const meta = await store.certificate(id).currentMeta();
        if (meta && Date.parse(meta.meta.notAfter) > nowMs) held.add(id);
      } catch {
        // unreadable: not holding one
      }
    }),
  );
  return held;
}

/** Derives the policy-driven certificates; with the section absent and nothing managed before, none. */
export async function deriveFromStore(config: Config, store: Store, views: readonly PolicyView[], nowMs: number, previous?: AutoenrollRecord[]): Promise<AutoenrollDerivation> {
  const records = previous ?? (await readAutoenrollRegistry(config.stateDir));
  const settings = config.autoenroll;
  if (!settings && records.length === 0) return EMPTY;
  const effective = settings ?? disabledSettings(config);
  const successors = records.map((r) => r.successorId).filter((id): id is string => id !== undefined);
  const candidates = [...new Set([...successors, ...records.map((r) => r.id)])];
  const result = deriveAutoenrollment({
    settings: effective,
    explicit: config.certificates,
    views,
    records,
    host: hostFacts(effective.fqdn),
    nowMs,
    holdingCertificate: await holdingCertificate(store, candidates, nowMs),
  });
  return { ...result, previous: records };
}

/** Writes the registry when the derivation changed it. */
export async function saveDerivation(config: Config, derivation: AutoenrollDerivation, logger: Logger): Promise<void> {
  if (JSON.stringify(derivation.records) === JSON.stringify(derivation.previous)) return;
  await writeAutoenrollRegistry(config.stateDir, derivation.records);
  for (const entry of derivation.entries) {
    if (entry.disposition !== 'keep' && entry.disposition !== 'skip') {
      logger.info('autoenroll.changed', { id: entry.id, template: entry.template, disposition: entry.disposition, reason: entry.reason });
    }
  }
}

/** The configuration with the policy-driven certificates beside the configured ones. */
export function withDerived(config: Config, certificates: readonly CertificateConfig[]): Config {
  return { ...config, certificates: [...config.certificates, ...certificates] };
}

/**
 * After the turns of a pass: derive again (a successor that now holds its certificate archives
 * what it superseded), keep the registry (unless `save` is false: a dry run), and report what
 * the pass decided. Undefined when the section is absent and nothing was ever managed.
 */
export async function settleDerivation(
  config: Config,
  store: Store,
  views: readonly PolicyView[],
  nowMs: number,
  decided: AutoenrollDerivation,
  save: boolean,
  logger: Logger,
): Promise<{ enabled: boolean; entries: AutoenrollReport[] } | undefined> {
  if (!config.autoenroll && decided.previous.length === 0) return undefined;
  const settled = await deriveFromStore(config, store, views, nowMs, decided.records);
  if (save) await saveDerivation(config, { ...settled, previous: decided.previous }, logger);
  return { enabled: config.autoenroll?.enabled ?? false, entries: reportOf(passEntries(decided.entries, settled.entries)) };
}

/** What a pass decided per template, with the archiving its turns led to. */
export function passEntries(decided: readonly AutoenrollEntry[], after: readonly AutoenrollEntry[]): AutoenrollEntry[] {
  return decided.map((entry) => {
    const settled = after.find((e) => e.id === entry.id);
    return settled && settled.disposition === 'archived' && entry.disposition !== 'archived' ? settled : entry;
  });
}

/** An entry as the pass result and `plan` show it. */
export type AutoenrollReport = Omit<AutoenrollEntry, 'managed'>;

export function reportOf(entries: readonly AutoenrollEntry[]): AutoenrollReport[] {
  return entries.map(({ managed: _managed, ...rest }) => rest);
}

// The section was removed but certificates were managed: they are kept and reported (disabled).
function disabledSettings(config: Config): NonNullable<Config['autoenroll']> {
  return {
    enabled: false,
    allow: [],
    deny: [],
    defaults: { subject: 'CN={fqdn}', dns: ['{fqdn}'], ip: [], upn: [], email: [] },
    perTemplate: {},
    reuseKey: false,
    outputDir: `${config.dir}/certs`,
    outputMode: 0o644,
    hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
  };
}
