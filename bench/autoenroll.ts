// The autoenroll derivation runs on every pass and every `status`/`plan` of a host with an autoenroll
// section: policy templates × managed records × allow/deny patterns. Sized well above a real AD
// (a few dozen templates), with supersession, stopped records and patterns in play.
import type { AutoenrollConfig } from '../src/config/types.js';
import { autoenrollCertificateId, deriveAutoenrollment } from '../src/engine/autoenrollment.js';
import type { CachedTemplate, PolicyView } from '../src/engine/cachedPolicy.js';
import type { AutoenrollRecord } from '../src/store/autoenrollRegistry.js';
import { median, sample, type BenchResult } from './types.js';

const NOW = Date.UTC(2030, 0, 1);

function template(i: number): CachedTemplate {
  return {
    commonName: `Template${i}`,
    oid: `1.3.6.1.4.1.311.21.8.1.${i}`,
    validitySeconds: 31_536_000,
    renewalSeconds: 3_628_800,
    majorRevision: 100,
    minorRevision: 1,
    privateKeyFlags: 0,
    subjectNameFlags: 1,
    enrollmentFlags: 0x20,
    generalFlags: 0x20,
    minimalKeyLength: 2048,
    keyAlgorithmOid: null,
    supersededTemplates: i % 10 === 0 && i > 0 ? [`Template${i - 1}`] : [],
    enroll: true,
    autoEnroll: i % 3 !== 0,
    extensions: [],
    caIds: [],
  };
}

function scenario(n: number) {
  const view: PolicyView = {
    policyId: '{bench}',
    friendlyName: null,
    templates: Array.from({ length: n }, (_, i) => template(i)),
    cas: [],
    fetchedAtMs: NOW,
    nextUpdateAtMs: undefined,
    consecutiveFailures: 0,
    lastAttemptAtMs: undefined,
    sources: ['https://cep'],
  };
  const records: AutoenrollRecord[] = Array.from({ length: n / 2 }, (_, i) => ({
    id: autoenrollCertificateId(`Template${i * 2 + 1}`),
    template: `Template${i * 2 + 1}`,
    templateOid: null,
    since: new Date(NOW).toISOString(),
    state: 'active',
  }));
  const settings: AutoenrollConfig = {
    enabled: true,
    allow: ['Template*', '1.3.6.1.4.1.311.21.8.*'],
    deny: ['Template7*', 'Template*99'],
    defaults: { subject: 'CN={fqdn}', dns: ['{fqdn}', '{hostname}'], ip: [], upn: [], email: [] },
    perTemplate: { Template5: { subject: 'CN={hostname}-{template}' } },
    reuseKey: false,
    outputDir: '/etc/autoenroll/certs',
    outputMode: 0o644,
    hooks: { deploy: [], failure: [], timeoutMs: 60_000, shell: false },
  };
  return { settings, explicit: [], views: [view], records, host: { fqdn: 'ws01.contoso.com', hostname: 'ws01' }, nowMs: NOW, holdingCertificate: new Set<string>() };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [n, iterations, budgetMs] of [[50, 200, 5], [500, 20, 100]] as const) {
    const input = scenario(n);
    const samples = await sample(() => deriveAutoenrollment(input), iterations);
    const m = median(samples);
    results.push({ name: `autoenroll derivation, ${n} templates, ${n / 2} managed`, medianMs: m, budgetMs, note: `${((m * 1000) / n).toFixed(1)} µs/template` });
  }
  return results;
}
