// Acceptance: `autoenroll run` (the built CLI) with the lab issuing 120 s certificates with a 40 s
// renewal period, for about two lifetimes. The service must renew by itself with the old key
// (TLS client certificate = the current certificate) inside each window — after notAfter − 40 s,
// before notAfter — and send nothing between scheduled events: the lab's request log is the
// witness. The deploy hook runs once per installed certificate with the documented environment.
// Long test (~3.5 min of real time): the lifetimes are the ones the acceptance names.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { LabLogEntry } from '../../src/lab/lab.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { useRunFixture } from './runHelpers.js';

const RENEWAL_MS = 40_000;

describe.skipIf(process.platform === 'win32')('autoenroll run: automatic key-based renewal (120 s certificates, 40 s renewal period)', () => {
  const run = useRunFixture();

  it('renews twice by itself, each time inside the window, with no request in between', async () => {
    const { lab } = run;
    const hookScript = path.join(lab.work, 'record-deploy.mjs');
    const hookLog = path.join(lab.work, 'deploys.jsonl');
    writeFileSync(
      hookScript,
      `import { appendFileSync } from 'node:fs';
       const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AUTOENROLL_')));
       appendFileSync(process.argv[2], JSON.stringify(env) + '\\n');`,
    );
    const config = lab.writeConfig('renewal', { id: 'svc', template: 'SvcKBR', deploy: [`${process.execPath} ${hookScript} ${hookLog}`] });
    const dir = path.dirname(config);
    const startedAt = Date.now();
    const service = run.startService(config);

    await service.waitForEvent('certificate.issued', 30_000);
    await service.waitForEvent('certificate.renewed', 150_000, 1);
    await service.waitForEvent('certificate.renewed', 150_000, 2);
    expect(await service.stop('SIGTERM')).toBe(0);
    const events = service.events();
    expect(events.map((e) => e.event)).toContain('service.stopped');
    expect(events.filter((e) => e.level === 'error')).toEqual([]);

    // Generations: 1 issued at start, then each renewal inside the previous certificate's window.
    const generations = await openStore(path.join(dir, 'state')).certificate('svc').listGenerations();
    expect(generations.length).toBeGreaterThanOrEqual(3);
    const windows = generations.slice(1).map((g, i) => {
      const previous = generations[i]!;
      const notAfter = Date.parse(previous.meta.notAfter);
      return { created: Date.parse(g.meta.createdAt), opens: notAfter - RENEWAL_MS, notAfter };
    });
    for (const w of windows) {
      expect(w.created).toBeGreaterThan(w.opens);
      expect(w.created).toBeLessThan(w.notAfter);
    }

    // The lab log: the start pass (policy + enrollment with the password), then per renewal the
    // certificate-authenticated requests of that one pass — and nothing else.
    const log = lab.log().filter((e) => Date.parse(e.time) >= startedAt);
    const renewals = log.filter((e) => e.operation === 'Issue' && e.auth === 'certificate' && e.outcome === 'issued');
    expect(renewals.length).toBe(generations.length - 1);
    renewals.forEach((r, i) => {
      const t = Date.parse(r.time);
      expect(t).toBeGreaterThan(windows[i]!.opens);
      expect(t).toBeLessThan(windows[i]!.notAfter);
      // Key-based: authenticated by the certificate being renewed.
      expect(r.clientCertThumbprint).toBe(generations[i]!.meta.thumbprintSha1);
    });
    console.log(
      `[renewal] ${renewals.map((r, i) => `renewal ${i + 1}: ${((Date.parse(r.time) - windows[i]!.opens) / 1000).toFixed(1)} s into the window, ${((windows[i]!.notAfter - Date.parse(r.time)) / 1000).toFixed(1)} s before notAfter`).join('; ')}; ${log.length} lab requests in all`,
    );
    const firstPassEnd = Date.parse(log.find((e) => e.operation === 'Issue')!.time);
    const unexplained = log.filter((e: LabLogEntry) => {
      const t = Date.parse(e.time);
      if (t <= firstPassEnd) return false;
      // Part of a renewal pass: at most a few seconds before (policy fetch) or at its Issue.
      return !renewals.some((r) => t <= Date.parse(r.time) && t >= Date.parse(r.time) - 5_000);
    });
    expect(unexplained).toEqual([]);
    expect(log.filter((e) => e.auth.startsWith('username')).length).toBeLessThanOrEqual(2);

    // The deploy hook: once per installed certificate, with thumbprints chaining old → new.
    const deploys = readFileSync(hookLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(deploys).toHaveLength(generations.length);
    deploys.forEach((env, i) => {
      expect(env).toMatchObject({
        AUTOENROLL_EVENT: 'deploy',
        AUTOENROLL_ID: 'svc',
        AUTOENROLL_CERT: path.join(dir, 'out/svc.pem'),
        AUTOENROLL_KEY: path.join(dir, 'out/svc.key'),
        AUTOENROLL_CHAIN: path.join(dir, 'out/svc-chain.pem'),
        AUTOENROLL_THUMBPRINT: generations[i]!.meta.thumbprintSha1,
        AUTOENROLL_OLD_THUMBPRINT: i === 0 ? '' : generations[i - 1]!.meta.thumbprintSha1,
        AUTOENROLL_NOT_AFTER: new Date(generations[i]!.meta.notAfter).toISOString(),
      });
    });

    // The output file holds the newest certificate.
    if (hasOpenssl) {
      const fingerprint = openssl(['x509', '-noout', '-fingerprint', '-sha1', '-in', path.join(dir, 'out/svc.pem')]).stdout;
      expect(fingerprint.replace(/[^0-9A-F=]/gi, '').split('=')[1]).toBe(generations.at(-1)!.meta.thumbprintSha1);
    }
  }, 300_000);
});
