import { describe, expect, it } from 'vitest';
import type { AutoenrollConfig, CertificateConfig } from '../../src/config/types.js';
import { expandPlaceholders, unknownPlaceholders } from '../../src/config/placeholders.js';
import {
  autoenrollCertificateId,
  deriveAutoenrollment,
  matchesTemplatePattern,
  templateFolderName,
} from '../../src/engine/autoenrollment.js';
import type { AutoenrollInput } from '../../src/engine/autoenrollment.js';
import type { CachedTemplate, PolicyView } from '../../src/engine/cachedPolicy.js';
import type { AutoenrollRecord } from '../../src/store/autoenrollRegistry.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function template(commonName: string, extra: Partial<CachedTemplate> = {}): CachedTemplate {
  return {
    commonName,
    oid: `1.2.3.${commonName.length}.${commonName.charCodeAt(0)}`,
    validitySeconds: 3600,
    renewalSeconds: 600,
    majorRevision: 100,
    minorRevision: 1,
    privateKeyFlags: 0,
    subjectNameFlags: 1,
    enrollmentFlags: 0x20,
    generalFlags: 0x20,
    minimalKeyLength: 2048,
    keyAlgorithmOid: null,
    supersededTemplates: [],
    enroll: true,
    autoEnroll: true,
    extensions: [],
    caIds: [],
    ...extra,
  };
}

function view(templates: CachedTemplate[]): PolicyView {
  return { policyId: '{P}', friendlyName: null, templates, cas: [], fetchedAtMs: NOW, nextUpdateAtMs: undefined, consecutiveFailures: 0, lastAttemptAtMs: undefined, sources: ['https://cep'] };
}

function settings(extra: Partial<AutoenrollConfig> = {}): AutoenrollConfig {
  return {
    enabled: true,
    allow: [],
    deny: [],
    defaults: { subject: 'CN={fqdn}', dns: ['{fqdn}'], ip: [], upn: [], email: [] },
    perTemplate: {},
    reuseKey: false,
    outputDir: '/srv/certs',
    outputMode: 0o644,
    hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
    ...extra,
  };
}

function input(extra: Partial<AutoenrollInput> = {}): AutoenrollInput {
  return {
    settings: settings(),
    explicit: [],
    views: [view([template('A'), template('B'), template('C', { autoEnroll: false })])],
    records: [],
    host: { fqdn: 'ws01.lab.test', hostname: 'ws01' },
    nowMs: NOW,
    holdingCertificate: new Set(),
    ...extra,
  };
}

const record = (templateName: string, extra: Partial<AutoenrollRecord> = {}): AutoenrollRecord => ({
  id: autoenrollCertificateId(templateName),
  template: templateName,
  templateOid: null,
  since: '2026-01-01T00:00:00.000Z',
  state: 'active',
  ...extra,
});

const explicit = (id: string, templateName: string): CertificateConfig => ({
  id,
  template: templateName,
  dns: [],
  ip: [],
  upn: [],
  email: [],
  reuseKey: false,
  minRenewalFraction: 0.5,
  hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
});

describe('placeholders', () => {
  it('expands {fqdn}, {hostname} and {template}, leaves other braces', () => {
    expect(expandPlaceholders('CN={fqdn},OU={template},O={hostname} {x}', { fqdn: 'a.b', hostname: 'a', template: 'T' })).toBe('CN=a.b,OU=T,O=a {x}');
    expect(unknownPlaceholders('CN={fqdn} {domain} {template}')).toEqual(['domain']);
  });
});

describe('template patterns and names', () => {
  it('matches names and OIDs with *, case-insensitively', () => {
    expect(matchesTemplatePattern('Lab*', { commonName: 'labWeb', oid: null })).toBe(true);
    expect(matchesTemplatePattern('Lab*', { commonName: 'MyLab', oid: null })).toBe(false);
    expect(matchesTemplatePattern('1.2.3.*', { commonName: 'X', oid: '1.2.3.4' })).toBe(true);
    expect(matchesTemplatePattern('a.b', { commonName: 'aXb', oid: null })).toBe(false);
  });
  it('names folders after the template, cleaned and made unique when needed', () => {
    expect(templateFolderName('WebServer')).toBe('WebServer');
    expect(templateFolderName('Web Server')).toMatch(/^Web-Server-[0-9a-f]{6}$/);
    expect(templateFolderName('Web Server')).not.toBe(templateFolderName('Web/Server'));
    expect(templateFolderName('..')).toMatch(/^template-[0-9a-f]{6}$/);
    expect(autoenrollCertificateId('WebServer')).toBe('auto-WebServer');
  });
});

describe('deriveAutoenrollment', () => {
  it('manages exactly the templates that grant autoEnroll, with the expanded defaults and per-template outputs', () => {
    const result = deriveAutoenrollment(input());
    expect(result.managed.map((c) => c.template)).toEqual(['A', 'B']);
    const a = result.managed[0] as CertificateConfig;
    expect(a).toMatchObject({ id: 'auto-A', subject: 'CN=ws01.lab.test', dns: ['ws01.lab.test'], source: { kind: 'autoenroll', template: 'A' } });
    expect(a.output).toMatchObject({ cert: '/srv/certs/A/cert.pem', key: '/srv/certs/A/key.pem', chain: '/srv/certs/A/chain.pem', fullchain: '/srv/certs/A/fullchain.pem' });
    expect(result.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([
      ['A', 'add', 'autoenroll-granted'],
      ['B', 'add', 'autoenroll-granted'],
      ['C', 'skip', 'autoenroll-not-granted'],
    ]);
    expect(result.records.map((r) => [r.id, r.state, r.since])).toEqual([
      ['auto-A', 'active', new Date(NOW).toISOString()],
      ['auto-B', 'active', new Date(NOW).toISOString()],
    ]);
  });

  it('per-template settings replace the defaults for that template only', () => {
    const result = deriveAutoenrollment(input({ settings: settings({ perTemplate: { B: { subject: 'CN={hostname}-{template}', dns: ['{hostname}.b.test', '{fqdn}'] } } }) }));
    expect(result.managed.map((c) => [c.subject, c.dns])).toEqual([
      ['CN=ws01.lab.test', ['ws01.lab.test']],
      ['CN=ws01-B', ['ws01.b.test', 'ws01.lab.test']],
    ]);
  });

  it('allow and deny lists: deny wins, allow restricts', () => {
    const allowed = deriveAutoenrollment(input({ settings: settings({ allow: ['a*', 'B'], deny: ['B'] }) }));
    expect(allowed.managed.map((c) => c.template)).toEqual(['A']);
    expect(allowed.entries.find((e) => e.template === 'B')).toMatchObject({ disposition: 'skip', reason: 'not-allowed-by-config' });
  });

  it('a configured certificate naming the template (by name or OID) wins; ids never collide', () => {
    const oidOfB = template('B').oid as string;
    const result = deriveAutoenrollment(input({ explicit: [explicit('auto-A', 'Other'), explicit('mine', oidOfB)] }));
    expect(result.managed.map((c) => c.template)).toEqual(['A']);
    expect(result.managed[0]?.id).toMatch(/^auto-A-[0-9a-f]{6}$/);
    expect(result.entries.find((e) => e.template === 'B')).toMatchObject({ disposition: 'skip', reason: 'explicit' });
  });

  it('a managed template that a configured certificate takes over is stopped, kept', () => {
    const result = deriveAutoenrollment(input({ records: [record('A')], explicit: [explicit('mine', 'A')] }));
    expect(result.entries.find((e) => e.template === 'A')).toMatchObject({ disposition: 'stop', reason: 'explicit', managed: false });
    expect(result.reported.map((c) => c.id)).toEqual(['auto-A']);
  });

  it('keeps managing what was managed; the record object stays the same when nothing changed', () => {
    const a = record('A', { templateOid: template('A').oid });
    const result = deriveAutoenrollment(input({ records: [a] }));
    expect(result.entries[0]).toMatchObject({ template: 'A', disposition: 'keep', managed: true });
    expect(result.records[0]).toBe(a);
    expect(result.managed.map((c) => c.id)).toEqual(['auto-A', 'auto-B']);
  });

  it('granting autoEnroll on a third template adds it', () => {
    const before = deriveAutoenrollment(input());
    const after = deriveAutoenrollment(input({ records: before.records, views: [view([template('A'), template('B'), template('C')])] }));
    expect(after.entries.map((e) => [e.template, e.disposition])).toEqual([['A', 'keep'], ['B', 'keep'], ['C', 'add']]);
  });

  it('supersession: the superseding template is a new enrollment, the old one is archived once the new one holds a certificate', () => {
    const views = [view([template('A'), template('B'), template('A2', { supersededTemplates: ['a'] })])];
    const first = deriveAutoenrollment(input({ records: [record('A'), record('B')], views }));
    expect(first.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([
      ['A', 'superseded', 'superseded'],
      ['B', 'keep', 'autoenroll-granted'],
      ['A2', 'add', 'supersedes'],
    ]);
    expect(first.entries[2]).toMatchObject({ supersedes: ['A'] });
    // The old one renews until its successor holds a certificate (no host is left without one).
    expect(first.managed.map((c) => c.id)).toEqual(['auto-A', 'auto-B', 'auto-A2']);
    expect(first.entries[0]).toMatchObject({ managed: true });
    expect(first.reported).toEqual([]);
    expect(first.records[0]).toMatchObject({ state: 'superseded', supersededBy: 'A2', successorId: 'auto-A2', changedAt: new Date(NOW).toISOString() });
    expect(first.records[0]?.archivedAt).toBeUndefined();

    const second = deriveAutoenrollment(input({ records: first.records, views, holdingCertificate: new Set(['auto-A2']) }));
    expect(second.entries[0]).toMatchObject({ template: 'A', disposition: 'archived', successorId: 'auto-A2' });
    expect(second.records[0]?.archivedAt).toBe(new Date(NOW).toISOString());
    expect(second.managed.map((c) => c.id)).toEqual(['auto-B', 'auto-A2']);
    expect(second.reported.map((c) => c.id)).toEqual(['auto-A']);

    // Archived is final: even with the superseding template gone, A is not renewed again.
    const third = deriveAutoenrollment(input({ records: second.records, views: [view([template('A')])] }));
    expect(third.entries.find((e) => e.template === 'A')).toMatchObject({ disposition: 'archived', managed: false });
    expect(third.managed.map((c) => c.id)).toEqual([]);
  });

  it('a superseding template that is not eligible does not supersede; a superseded template never managed is not enrolled', () => {
    const notGranted = deriveAutoenrollment(input({ records: [record('A')], views: [view([template('A'), template('A2', { supersededTemplates: ['A'], autoEnroll: false })])] }));
    expect(notGranted.entries.find((e) => e.template === 'A')).toMatchObject({ disposition: 'keep' });
    const fresh = deriveAutoenrollment(input({ views: [view([template('A'), template('A2', { supersededTemplates: ['A'] })])] }));
    expect(fresh.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([['A', 'skip', 'superseded'], ['A2', 'add', 'autoenroll-granted']]);
  });

  it('a superseding template that a configured certificate manages supersedes too; that certificate is the successor', () => {
    const views = [view([template('A'), template('A2', { supersededTemplates: ['A'], autoEnroll: false })])];
    const first = deriveAutoenrollment(input({ records: [record('A')], views, explicit: [explicit('web', 'A2')] }));
    expect(first.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([['A', 'superseded', 'superseded'], ['A2', 'skip', 'explicit']]);
    expect(first.entries[0]).toMatchObject({ successorId: 'web' });
    const second = deriveAutoenrollment(input({ records: first.records, views, explicit: [explicit('web', 'A2')], holdingCertificate: new Set(['web']) }));
    expect(second.entries[0]).toMatchObject({ disposition: 'archived', successorId: 'web' });
    const fresh = deriveAutoenrollment(input({ views, explicit: [explicit('web', 'A2')] }));
    expect(fresh.entries.find((e) => e.template === 'A')).toMatchObject({ disposition: 'skip', reason: 'superseded' });
  });

  it('a template that leaves the policy or loses autoEnroll: kept and reported, not renewed; back when granted again', () => {
    const records = [record('A'), record('B')];
    const gone = deriveAutoenrollment(input({ records, views: [view([template('B', { autoEnroll: false })])] }));
    expect(gone.entries.map((e) => [e.template, e.disposition, e.reason])).toEqual([
      ['A', 'stop', 'template-not-in-policy'],
      ['B', 'stop', 'autoenroll-not-granted'],
    ]);
    expect(gone.managed).toEqual([]);
    expect(gone.reported.map((c) => c.id)).toEqual(['auto-A', 'auto-B']);
    expect(gone.records.map((r) => [r.state, r.stopReason])).toEqual([['stopped', 'template-not-in-policy'], ['stopped', 'autoenroll-not-granted']]);
    const back = deriveAutoenrollment(input({ records: gone.records }));
    expect(back.entries.slice(0, 2).map((e) => e.disposition)).toEqual(['keep', 'keep']);
    expect(back.records[0]?.stopReason).toBeUndefined();
  });

  it('denied later by the lists: stopped, kept', () => {
    const result = deriveAutoenrollment(input({ records: [record('A')], settings: settings({ deny: ['A'] }) }));
    expect(result.entries[0]).toMatchObject({ disposition: 'stop', reason: 'denied-by-config' });
  });

  it('without a known policy, what was managed stays as it was and nothing is added', () => {
    const result = deriveAutoenrollment(input({ records: [record('A'), record('B', { state: 'stopped', stopReason: 'autoenroll-not-granted' })], views: [] }));
    expect(result.managed.map((c) => c.id)).toEqual(['auto-A']);
    expect(result.reported.map((c) => c.id)).toEqual(['auto-B']);
    expect(result.entries.map((e) => e.disposition)).toEqual(['keep', 'stop']);
  });

  it('disabled: nothing added, what was managed is stopped and kept', () => {
    const result = deriveAutoenrollment(input({ records: [record('A')], settings: settings({ enabled: false }) }));
    expect(result.managed).toEqual([]);
    expect(result.entries).toEqual([expect.objectContaining({ template: 'A', disposition: 'stop', reason: 'autoenroll-disabled' })]);
  });

  it('templates of every policy view are considered, the first view winning for a name', () => {
    const result = deriveAutoenrollment(input({ views: [view([template('A', { autoEnroll: false })]), view([template('A'), template('D')])] }));
    expect(result.managed.map((c) => c.template)).toEqual(['D']);
  });
});
