// Steps 5–6: key-based renewal once the renewal window opens (real time, no forcing), then the
// preferred renewal-only CES goes down and the agent fails over to the backup.
import type { PassResult } from '../../engine/agentTypes.js';
import { ExitCode } from '../../errors.js';
import type { Lab } from '../../lab/lab.js';
import type { LogRecord } from './agentCommand.js';
import { CES_CERTIFICATE_BACKUP, CES_CERTIFICATE_PRIMARY, DEMO_TEMPLATE } from './demoSetup.js';
import { checkInstalled } from './installedCheck.js';
import type { InstalledFacts } from './installedCheck.js';
import { StepFailed, agentCommand, certificateOf, check, isoSeconds, labEntries, logLine, need } from './story.js';
import type { DemoState, DemoStep } from './story.js';

/** Past the window's first instant, so the agent's own clock reading is surely inside it. */
const WINDOW_MARGIN_MS = 300;

export const renewInWindowStep: DemoStep = {
  name: 'renew',
  title: 'Key-based renewal when the renewal window opens (autoenroll renew)',
  async run(state) {
    const { narrator } = state;
    const lab = need(state.lab, 'the lab');
    const first = need(state.generations[0], 'the first certificate');
    const windowStart = need(state.windowStartMs, 'the renewal window');
    const facts: Record<string, unknown> = {};

    // Asked before the window opens, a plain `renew` leaves the certificate alone.
    if (state.now() < windowStart - 1500) {
      const early = await agentCommand<PassResult>(state, 'renew', {}, ExitCode.OK);
      const before = certificateOf(early);
      check(before.action === 'none' && before.generation === 1, `renew before the window did "${before.action}" (${before.planned}), expected nothing`);
      narrator.fact('renew now', `nothing due (${before.planned}): the window opens ${isoSeconds(windowStart)}`);
      facts.beforeWindow = { planned: before.planned, outcome: before.outcome };
    }

    await countdown(state, windowStart + WINDOW_MARGIN_MS);
    narrator.say(
      'Inside the window the agent renews with the certificate itself: TLS client certificate = the\n' +
        'current certificate, a new key, the request signed by the old key, sent to a renewal-only\n' +
        'certificate CES of the issuing CA. No password is involved.',
    );
    const logStart = lab.requestLog().length;
    const run = await agentCommand<PassResult>(state, 'renew', {}, ExitCode.OK);
    const result = certificateOf(run);
    check(
      result.action === 'renew' && result.planned === 'renew/in-window' && result.outcome === 'issued' && result.generation === 2,
      `renew did "${result.action}" (${result.planned}, ${result.outcome}, generation ${result.generation}), expected an in-window renewal to generation 2`,
    );
    check(result.previousThumbprint === first.thumbprint, `the renewal replaced ${result.previousThumbprint}, expected ${first.thumbprint}`);
    const renewed = await installedAfter(state, result.thumbprint);
    const witness = issueAuthenticatedBy(lab, logStart, first.thumbprint);
    check(witness.endpoint === CES_CERTIFICATE_PRIMARY, `the renewal was served by ${witness.endpoint}, expected the priority 1 certificate CES ${CES_CERTIFICATE_PRIMARY}`);
    sameSubjectNewKey(first, renewed);

    narrator.fact('planned', `${result.planned} (not forced)`);
    narrator.fact('endpoint', `${need(result.endpoint, 'the CES URL')} (priority 1)`);
    narrator.fact('lab log', logLine(witness));
    narrator.fact('client cert', `${witness.clientCertThumbprint ?? '?'} = thumbprint of the old certificate`);
    narrator.fact('new serial', renewed.serial);
    narrator.fact('new thumbprint', renewed.thumbprint);
    narrator.fact('subject', `${renewed.subject} (unchanged)`);
    narrator.fact('key', 'new key pair (public key differs from generation 1); generation 1 archived');
    narrator.fact('validity', `${isoSeconds(renewed.notBefore)} → ${isoSeconds(renewed.notAfter)}`);
    return {
      summary: `renewed in the window by key-based renewal at ${witness.endpoint}, authenticated by the old certificate`,
      facts: {
        ...facts,
        command: run.commandLine,
        planned: result.planned,
        forced: false,
        endpoint: result.endpoint,
        generation: 2,
        previousThumbprint: first.thumbprint,
        clientCertThumbprint: witness.clientCertThumbprint ?? null,
        subject: renewed.subject,
        serial: renewed.serial,
        thumbprint: renewed.thumbprint,
        notAfter: renewed.notAfter,
        newKey: true,
        labLog: witness as unknown as Record<string, unknown>,
      },
    };
  },
};

export const failoverStep: DemoStep = {
  name: 'failover',
  title: 'Failover: the preferred renewal-only CES goes down (autoenroll renew --force)',
  async run(state) {
    const { narrator } = state;
    const lab = need(state.lab, 'the lab');
    const previous = need(state.generations[1], 'the renewed certificate');
    const primary = lab.endpoint(CES_CERTIFICATE_PRIMARY);
    const backup = lab.endpoint(CES_CERTIFICATE_BACKUP);
    await lab.setFault(primary.name, { kind: 'refuse' });
    narrator.say(
      `The priority 1 certificate CES now refuses connections (its port is closed). The agent tries\n` +
        `endpoints by priority (random order within one priority), so it must try it first, fail,\n` +
        `and move on. --force because the new certificate is not due yet: only failover is shown here.`,
    );
    const logStart = lab.requestLog().length;
    const run = await agentCommand<PassResult>(state, 'renew', { force: true }, ExitCode.OK);
    const result = certificateOf(run);
    check(
      result.action === 'renew' && result.outcome === 'issued' && result.generation === 3,
      `renew --force did "${result.action}" (${result.outcome}, generation ${result.generation}), expected a renewal to generation 3`,
    );
    check(result.endpoint === backup.url, `the renewal was served by ${result.endpoint}, expected the backup ${backup.url}`);
    const failures = run.logs.filter((record) => record.event === 'ces.endpoint_failed');
    const deadAttempt = failures.find((record) => record.url === primary.url);
    check(deadAttempt !== undefined, `the agent's log shows no failed attempt at ${primary.url}`, run.stderr);
    const witness = issueAuthenticatedBy(lab, logStart, previous.thumbprint);
    check(witness.endpoint === CES_CERTIFICATE_BACKUP, `the lab recorded the renewal at ${witness.endpoint}, expected ${CES_CERTIFICATE_BACKUP}`);
    const renewed = await installedAfter(state, result.thumbprint);
    sameSubjectNewKey(previous, renewed);

    const attempts = [...failures.map(describeAttempt), `${backup.url} → issued`];
    narrator.fact('lab fault', `${primary.name} (priority 1): refuse connections`);
    narrator.fact('attempts', attempts.map((line, index) => `${index + 1}. ${line}`));
    narrator.fact('lab log', logLine(witness));
    narrator.fact('new serial', renewed.serial);
    narrator.fact('new thumbprint', renewed.thumbprint);
    return {
      summary: `${primary.name} refused; the agent failed over to ${backup.name} and renewed`,
      facts: {
        command: run.commandLine,
        forced: true,
        downEndpoint: primary.url,
        attempts: [
          ...failures.map((f) => ({ url: String(f.url), outcome: 'failed', code: String(f.code), message: String(f.message) })),
          { url: backup.url, outcome: 'issued' },
        ],
        endpoint: result.endpoint,
        generation: 3,
        previousThumbprint: previous.thumbprint,
        serial: renewed.serial,
        thumbprint: renewed.thumbprint,
        notAfter: renewed.notAfter,
        labLog: witness as unknown as Record<string, unknown>,
      },
    };
  },
};

async function countdown(state: DemoState, untilMs: number): Promise<void> {
  const { narrator } = state;
  const remaining = untilMs - state.now();
  if (remaining <= 0) {
    narrator.fact('window', 'already open');
    return;
  }
  narrator.startLine(`waiting ${Math.ceil(remaining / 1000)} s in real time for the window (validity ${DEMO_TEMPLATE.validitySeconds} s, renewal period ${DEMO_TEMPLATE.renewalSeconds} s):`);
  for (;;) {
    const left = untilMs - state.now();
    if (left <= 0 || state.context.signal.aborted) break;
    narrator.tick(` ${Math.ceil(left / 1000)}`);
    await state.sleep(left % 1000 || 1000);
  }
  if (state.context.signal.aborted) {
    narrator.endLine(' interrupted');
    throw new StepFailed('interrupted while waiting for the renewal window', 1);
  }
  narrator.endLine(' - open');
}

function issueAuthenticatedBy(lab: Lab, since: number, thumbprint: string) {
  const issued = labEntries(lab, since, { operation: 'Issue', outcome: 'issued' });
  const entry = issued.find((e) => e.clientCertThumbprint === thumbprint);
  check(entry !== undefined, `the lab's log has no issued renewal authenticated by the client certificate ${thumbprint}`);
  check(entry.auth === 'certificate', `the renewal was authenticated by "${entry.auth}", expected the client certificate`);
  return entry;
}

async function installedAfter(state: DemoState, thumbprint: string | null): Promise<InstalledFacts> {
  const lab = need(state.lab, 'the lab');
  const installed = await checkInstalled(need(state.files, 'the agent files'), lab.trustBundlePem, state.now());
  check(installed.problems.length === 0, `the installed certificate does not check out: ${installed.problems.join('; ')}`);
  check(installed.thumbprint === thumbprint, `the certificate file (${installed.thumbprint}) is not the one the agent reported (${thumbprint})`);
  state.generations.push(installed);
  return installed;
}

function sameSubjectNewKey(before: InstalledFacts, after: InstalledFacts): void {
  check(after.subject === before.subject, `the subject changed from ${before.subject} to ${after.subject}`);
  check(after.serial !== before.serial, 'the serial number did not change');
  check(after.publicKey !== before.publicKey, 'the renewal kept the old key, expected a new one');
}

function describeAttempt(record: LogRecord): string {
  return `${String(record.url)} → failed: ${String(record.message)} [${String(record.code)}]${record.next ? ', next endpoint' : ''}`;
}
