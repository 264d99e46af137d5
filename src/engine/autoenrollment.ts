// Policy + autoenroll settings + what was managed before → the list of policy-driven certificates
// (protocol.md §6.3 items 3 and 6). Pure: the pass, `status` and `plan` call it with the policy
// they have and feed the certificates it returns to the planner as if they had been configured.
//
// - Every template whose permission grants autoEnroll, that the allow list admits and the deny
//   list does not name, and that no configured certificate names (those win), is managed.
// - A managed certificate whose template another eligible template supersedes stops being
//   the focus: the superseding template is enrolled as a new certificate (MS-WCCE: a renewal keeps
//   the template), and once that one holds a certificate the old one is archived (kept, never
//   renewed again); until then the old one goes on renewing.
// - A template that leaves the policy or loses autoEnroll: its certificate is kept and reported
//   until it expires, never deleted, never renewed.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { AutoenrollConfig, AutoenrollCertificateSettings, CertificateConfig } from '../config/types.js';
import { expandPlaceholders } from '../config/placeholders.js';
import type { AutoenrollRecord, AutoenrollStopReason } from '../store/autoenrollRegistry.js';
import type { CachedTemplate, PolicyView } from './cachedPolicy.js';

export interface HostFacts {
  fqdn: string;
  hostname: string;
}

export interface AutoenrollInput {
  settings: AutoenrollConfig;
  /** The configured certificates: a template one of them names is theirs. */
  explicit: readonly CertificateConfig[];
  /** The merged policy, most preferred server first; empty when no policy is known. */
  views: readonly PolicyView[];
  records: readonly AutoenrollRecord[];
  host: HostFacts;
  nowMs: number;
  /** Ids that hold a certificate now (a superseded one is archived once its successor does). */
  holdingCertificate: ReadonlySet<string>;
}

export type AutoenrollDisposition =
  /** Granted and new: the next pass enrolls it. */
  | 'add'
  /** Granted and already managed. */
  | 'keep'
  /** Superseded; the successor is being enrolled, this one renews only until the successor holds a certificate. */
  | 'superseded'
  /** Superseded and the successor holds a certificate: archived, kept until expiry. */
  | 'archived'
  /** Kept until expiry, not renewed (see reason). */
  | 'stop'
  /** In the policy but not enrolled (see reason). */
  | 'skip';

export type AutoenrollReason =
  | 'autoenroll-granted'
  | 'supersedes'
  | 'superseded'
  | AutoenrollStopReason
  | 'not-allowed-by-config';

export interface AutoenrollEntry {
  /** Certificate id it is (or would be) managed as. */
  id: string;
  template: string;
  templateOid: string | null;
  disposition: AutoenrollDisposition;
  reason: AutoenrollReason;
  /** One readable sentence. */
  message: string;
  /** Renewed and enrolled by the planner (add, keep, superseded). */
  managed: boolean;
  supersededBy?: string;
  successorId?: string;
  /** Templates this one replaces (on a superseding entry). */
  supersedes?: string[];
}

export interface AutoenrollResult {
  /** Certificates the planner acts on (dispositions add, keep and superseded). */
  managed: CertificateConfig[];
  /** Certificates kept and reported but not acted on (archived, stop). */
  reported: CertificateConfig[];
  entries: AutoenrollEntry[];
  /** The registry to keep (unchanged entries are the same objects). */
  records: AutoenrollRecord[];
}

const ID_PREFIX = 'auto-';

/** `*` matches any run of characters; everything else literally, case-insensitively (AD names are). */
export function matchesTemplatePattern(pattern: string, template: { commonName: string; oid: string | null }): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(template.commonName) || (template.oid !== null && regex.test(template.oid));
}

/** A folder-safe name for a template: itself when it already is, else a cleaned form plus a short digest. */
export function templateFolderName(commonName: string): string {
  const clean = commonName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 40);
  if (clean === commonName && clean !== '') return clean;
  return `${clean || 'template'}-${createHash('sha1').update(commonName).digest('hex').slice(0, 6)}`;
}

export function autoenrollCertificateId(commonName: string): string {
  return `${ID_PREFIX}${templateFolderName(commonName)}`;
}

/** The certificate a template is enrolled as: expanded defaults (or its perTemplate entry), outputs in its folder. */
export function autoenrollCertificate(settings: AutoenrollConfig, id: string, template: string, host: HostFacts): CertificateConfig {
  const own: Partial<AutoenrollCertificateSettings> = settings.perTemplate[template] ?? {};
  const s: AutoenrollCertificateSettings = { ...settings.defaults, ...own };
  const values = { fqdn: host.fqdn, hostname: host.hostname, template };
  const expand = (list: readonly string[]): string[] => [...new Set(list.map((text) => expandPlaceholders(text, values)))];
  const folder = path.join(settings.outputDir, templateFolderName(template));
  const out: CertificateConfig = {
    id,
    template,
    subject: expandPlaceholders(s.subject, values),
    dns: expand(s.dns),
    ip: expand(s.ip),
    upn: expand(s.upn),
    email: expand(s.email),
    reuseKey: settings.reuseKey,
    minRenewalFraction: 0.5,
    output: {
      cert: path.join(folder, 'cert.pem'),
      key: path.join(folder, 'key.pem'),
      chain: path.join(folder, 'chain.pem'),
      fullchain: path.join(folder, 'fullchain.pem'),
      mode: settings.outputMode,
    },
    hooks: settings.hooks,
    source: { kind: 'autoenroll', template },
  };
  if (s.key) out.key = s.key;
  return out;
}

function policyTemplates(views: readonly PolicyView[]): CachedTemplate[] {
  const byName = new Map<string, CachedTemplate>();
  for (const view of views) for (const t of view.templates) if (!byName.has(t.commonName)) byName.set(t.commonName, t);
  return [...byName.values()];
}

function explicitlyNamed(explicit: readonly CertificateConfig[], template: { commonName: string; oid: string | null }): CertificateConfig | undefined {
  return explicit.find((c) => c.template === template.commonName || (template.oid !== null && c.template === template.oid));
}

const STOP_MESSAGES: Record<AutoenrollStopReason, string> = {
  'template-not-in-policy': 'the template is no longer in the enrollment policy',
  'autoenroll-not-granted': 'the policy no longer grants autoEnroll on the template',
  'denied-by-config': 'the autoenroll template lists no longer admit the template',
  explicit: 'a configured certificate names the template (it manages it instead)',
  'autoenroll-disabled': 'the autoenroll section is disabled',
};

export function deriveAutoenrollment(input: AutoenrollInput): AutoenrollResult {
  const { settings, explicit, host } = input;
  const nowIso = new Date(input.nowMs).toISOString();
  const templates = policyTemplates(input.views);
  const policyKnown = input.views.length > 0;
  const takenIds = new Set(explicit.map((c) => c.id));

  const admitted = (t: CachedTemplate): boolean =>
    (settings.allow.length === 0 || settings.allow.some((p) => matchesTemplatePattern(p, t))) && !settings.deny.some((p) => matchesTemplatePattern(p, t));
  /** Why an autoEnroll template is not enrolled, or undefined when it is eligible. */
  const exclusion = (t: CachedTemplate): AutoenrollStopReason | 'not-allowed-by-config' | undefined => {
    if (!settings.enabled) return 'autoenroll-disabled';
    if (explicitlyNamed(explicit, t)) return 'explicit';
    if (!t.autoEnroll) return 'autoenroll-not-granted';
    if (!admitted(t)) return 'not-allowed-by-config';
    return undefined;
  };
  // A template supersedes for this client when it is enrolled here: policy-driven, or by a
  // configured certificate (whose id is then the successor).
  const superseding = templates.filter((t) => settings.enabled && (exclusion(t) === undefined || explicitlyNamed(explicit, t) !== undefined));
  const supersederOf = (name: string): CachedTemplate | undefined =>
    superseding.find((s) => s.commonName !== name && s.supersededTemplates.some((n) => n.toLowerCase() === name.toLowerCase()));

  const records = new Map<string, AutoenrollRecord>(input.records.map((r) => [r.template, r]));
  const idOf = (template: string): string => {
    const existing = records.get(template);
    if (existing) return existing.id;
    let id = autoenrollCertificateId(template);
    if (takenIds.has(id)) id = `${id}-${createHash('sha1').update(`id:${template}`).digest('hex').slice(0, 6)}`;
    return id;
  };

  const successorIdOf = (t: CachedTemplate): string => explicitlyNamed(explicit, t)?.id ?? idOf(t.commonName);

  const entries: AutoenrollEntry[] = [];
  const next: AutoenrollRecord[] = [];
  const managed: CertificateConfig[] = [];
  const reported: CertificateConfig[] = [];
  const update = (record: AutoenrollRecord, changes: Partial<AutoenrollRecord>, drop: (keyof AutoenrollRecord)[] = []): AutoenrollRecord => {
    const merged: AutoenrollRecord = { ...record, ...changes };
    for (const key of drop) delete merged[key];
    const changed = JSON.stringify(merged) !== JSON.stringify(record);
    return changed ? { ...merged, changedAt: nowIso } : record;
  };

  // 1. What was managed before: kept, superseded, archived or stopped.
  for (const record of input.records) {
    const certificate = autoenrollCertificate(settings, record.id, record.template, host);
    const template = templates.find((t) => t.commonName === record.template);
    const base = { id: record.id, template: record.template, templateOid: record.templateOid };
    if (record.archivedAt !== undefined) {
      next.push(record);
      reported.push(certificate);
      entries.push({ ...base, disposition: 'archived', reason: 'superseded', managed: false, message: `superseded by template ${record.supersededBy ?? '?'} (certificate ${record.successorId ?? '?'}); archived, kept until it expires`, ...succession(record) });
      continue;
    }
    if (!policyKnown) {
      // Nothing to decide from: keep doing what was done (the planner reports the missing policy).
      next.push(record);
      (record.state === 'active' ? managed : reported).push(certificate);
      entries.push({ ...base, disposition: record.state === 'active' ? 'keep' : 'stop', reason: record.state === 'active' ? 'autoenroll-granted' : (record.stopReason ?? 'template-not-in-policy'), managed: record.state === 'active', message: 'no enrollment policy is known yet' });
      continue;
    }
    const superseder = supersederOf(record.template);
    if (superseder) {
      const successorId = successorIdOf(superseder);
      let updated = update(record, { state: 'superseded', supersededBy: superseder.commonName, successorId }, ['stopReason']);
      const archived = input.holdingCertificate.has(successorId);
      if (archived) updated = { ...updated, archivedAt: nowIso, changedAt: nowIso };
      next.push(updated);
      // Until the successor holds a certificate this one goes on renewing: a successor that cannot
      // be enrolled (no credentials, pending approval) must not leave the host without one.
      (archived ? reported : managed).push(certificate);
      entries.push({
        ...base,
        disposition: archived ? 'archived' : 'superseded',
        reason: 'superseded',
        managed: !archived,
        message: archived
          ? `superseded by template ${superseder.commonName}: re-enrolled as ${successorId}; this certificate is archived and kept until it expires`
          : `superseded by template ${superseder.commonName}: a new enrollment on it (${successorId}) replaces this certificate, which is renewed only until then`,
        supersededBy: superseder.commonName,
        successorId,
      });
      continue;
    }
    const why = template ? exclusion(template) : settings.enabled ? 'template-not-in-policy' : 'autoenroll-disabled';
    if (why === undefined && template) {
      next.push(update(record, { state: 'active', templateOid: template.oid ?? record.templateOid }, ['stopReason', 'supersededBy', 'successorId']));
      managed.push(certificate);
      entries.push({ ...base, disposition: 'keep', reason: 'autoenroll-granted', managed: true, message: 'the policy grants autoEnroll on the template', ...supersedesOf(template, records) });
      continue;
    }
    const stopReason: AutoenrollStopReason = why === 'not-allowed-by-config' ? 'denied-by-config' : (why as AutoenrollStopReason);
    next.push(update(record, { state: 'stopped', stopReason }, ['supersededBy', 'successorId']));
    reported.push(certificate);
    entries.push({ ...base, disposition: 'stop', reason: stopReason, managed: false, message: `${STOP_MESSAGES[stopReason]}: the certificate is kept until it expires and no longer renewed` });
  }

  // 2. Templates of the policy not managed before.
  for (const t of templates) {
    if (records.has(t.commonName)) continue;
    const id = idOf(t.commonName);
    const base = { id, template: t.commonName, templateOid: t.oid };
    const why = exclusion(t);
    if (why !== undefined) {
      if (why === 'autoenroll-disabled') continue;
      const message =
        why === 'autoenroll-not-granted' ? 'the policy does not grant autoEnroll on the template'
          : why === 'explicit' ? `configured certificate ${explicitlyNamed(explicit, t)?.id ?? '?'} names the template`
            : 'the autoenroll template lists do not admit the template';
      entries.push({ ...base, disposition: 'skip', reason: why, managed: false, message });
      continue;
    }
    const superseder = supersederOf(t.commonName);
    if (superseder) {
      entries.push({ ...base, disposition: 'skip', reason: 'superseded', managed: false, supersededBy: superseder.commonName, message: `superseded by template ${superseder.commonName}, which is enrolled instead` });
      continue;
    }
    const record: AutoenrollRecord = { id, template: t.commonName, templateOid: t.oid, since: nowIso, state: 'active' };
    records.set(t.commonName, record);
    next.push(record);
    managed.push(autoenrollCertificate(settings, id, t.commonName, host));
    const supersedes = supersedesOf(t, records);
    entries.push({
      ...base,
      disposition: 'add',
      reason: supersedes.supersedes ? 'supersedes' : 'autoenroll-granted',
      managed: true,
      message: supersedes.supersedes
        ? `supersedes ${supersedes.supersedes.join(', ')}: a new enrollment on this template replaces the certificate of the superseded one`
        : 'the policy grants autoEnroll on the template: a new enrollment',
      ...supersedes,
    });
  }
  return { managed, reported, entries, records: next };
}

function succession(record: AutoenrollRecord): Pick<AutoenrollEntry, 'supersededBy' | 'successorId'> {
  return {
    ...(record.supersededBy !== undefined ? { supersededBy: record.supersededBy } : {}),
    ...(record.successorId !== undefined ? { successorId: record.successorId } : {}),
  };
}

/** The managed templates this one supersedes, when it supersedes any. */
function supersedesOf(t: CachedTemplate, records: ReadonlyMap<string, AutoenrollRecord>): { supersedes?: string[] } {
  const names = [...records.keys()].filter((name) => name !== t.commonName && t.supersededTemplates.some((n) => n.toLowerCase() === name.toLowerCase()));
  return names.length > 0 ? { supersedes: names } : {};
}
