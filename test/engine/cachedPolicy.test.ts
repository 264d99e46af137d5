import { describe, expect, it } from 'vitest';
import { mergePolicy, touchContribution, withContribution } from '../../src/engine/cachedPolicy.js';
import type { CachedPolicyFile, CachedTemplate, PolicyContribution } from '../../src/engine/cachedPolicy.js';
import { policyFileName } from '../../src/engine/policyCache.js';

const template = (name: string, overrides: Partial<CachedTemplate> = {}): CachedTemplate => ({
  commonName: name,
  oid: `1.2.3.${[...name].map((c) => c.charCodeAt(0)).join('')}`,
  validitySeconds: 120,
  renewalSeconds: 40,
  majorRevision: 100,
  minorRevision: 1,
  privateKeyFlags: 0,
  subjectNameFlags: 1,
  enrollmentFlags: 0,
  generalFlags: 0,
  minimalKeyLength: 2048,
  keyAlgorithmOid: null,
  supersededTemplates: [],
  enroll: true,
  autoEnroll: true,
  extensions: [],
  caIds: ['CA1'],
  ...overrides,
});

const source = (url: string, fetchedAt: string, templates: CachedTemplate[], uris: string[], nextUpdateHours: number | null = 8): PolicyContribution => ({
  url,
  auth: url.includes('Certificate') ? 'certificate' : 'username',
  fetchedAt,
  nextUpdateHours,
  friendlyName: null,
  templates,
  cas: [{ id: 'CA1', certPem: 'PEM', enrollPermission: true, uris: uris.map((uri) => ({ uri, clientAuthentication: uri.includes('Certificate') ? 8 : 4, priority: 1, renewalOnly: uri.includes('Certificate') })) }],
});

const empty: CachedPolicyFile = { schemaVersion: 1, policyId: '{P}', sources: [], consecutiveFailures: 2 };

describe('cached policy', () => {
  it('merges what the username and the key-based-renewal CEP publish for one policy ID', () => {
    let file = withContribution(empty, source('https://h/ADPolicyProvider_CEP_UsernamePassword', '2030-01-01T00:00:00.000Z', [template('Web'), template('KBR')], ['https://h/CA_CES_UsernamePassword']));
    file = withContribution(file, source('https://h/KeyBasedRenewal_CEP_Certificate', '2030-01-01T01:00:00.000Z', [template('KBR', { majorRevision: 101 })], ['https://h/CA_CES_Certificate']));
    const view = mergePolicy(file);
    expect(view.templates.map((t) => t.commonName).sort()).toEqual(['KBR', 'Web']);
    expect(view.templates.find((t) => t.commonName === 'KBR')?.majorRevision).toBe(101);
    expect(view.cas).toHaveLength(1);
    expect(view.cas[0]!.uris.map((u) => u.uri).sort()).toEqual(['https://h/CA_CES_Certificate', 'https://h/CA_CES_UsernamePassword']);
    expect(view.fetchedAtMs).toBe(Date.parse('2030-01-01T01:00:00.000Z'));
    expect(view.nextUpdateAtMs).toBe(Date.parse('2030-01-01T09:00:00.000Z'));
    expect(view.consecutiveFailures).toBe(0);
  });

  it('a refetch from one server replaces only its own contribution, so withdrawn endpoints disappear', () => {
    let file = withContribution(empty, source('https://h/U', '2030-01-01T00:00:00.000Z', [template('Web')], ['https://h/CES_A', 'https://h/CES_B']));
    file = withContribution(file, source('https://h/U', '2030-01-01T02:00:00.000Z', [template('Web')], ['https://h/CES_B']));
    expect(file.sources).toHaveLength(1);
    expect(mergePolicy(file).cas[0]!.uris.map((u) => u.uri)).toEqual(['https://h/CES_B']);
  });

  it('policiesNotChanged moves the fetch time and keeps the contribution', () => {
    const file = withContribution(empty, source('https://h/U', '2030-01-01T00:00:00.000Z', [template('Web')], ['https://h/CES_A'], null));
    const touched = touchContribution(file, 'https://h/U', Date.parse('2030-01-01T05:00:00.000Z'), 4);
    expect(touched.sources[0]!.templates).toEqual(file.sources[0]!.templates);
    expect(mergePolicy(touched).nextUpdateAtMs).toBe(Date.parse('2030-01-01T09:00:00.000Z'));
    expect(mergePolicy(file).nextUpdateAtMs).toBeUndefined();
  });

  it('names cache files after the policy ID, safely', () => {
    expect(policyFileName('{3D5C1F1A-0000-4000-8000-000000000001}')).toBe('3D5C1F1A-0000-4000-8000-000000000001.json');
    const odd = policyFileName('../../etc/passwd');
    expect(odd).not.toContain('/');
    expect(odd).toMatch(/^[A-Za-z0-9._-]+\.json$/);
    expect(policyFileName('a/b')).not.toBe(policyFileName('a_b'));
  });
});
