// SIGKILL at every durable step of enrollment and key-based renewal (AUTOENROLL_CRASH_AT, see
// src/store/crashPoint.ts), in a real CLI process against the lab. After each kill: every
// generation is whole and the current one's key matches its certificate (openssl), output files
// are whole. The next run finishes the job, and the lab's request log shows no duplicate request.
//
// The CES's answer is saved (pending/answer.json) before anything is done with it, and a restart
// acts on the saved answer without contacting the CES. What remains is the one window no client
// can close: the request left and its answer is not saved yet. In practice the process dies
// while waiting for the answer, which is no durable step and cannot be injected here; the
// injectable edge of that window is `answer:temp-written` (answer received, its file not yet
// renamed into place). A kill there makes the next run resend the same request bytes with the
// same key: one extra request at the CA for the same key, never a lost key.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassResult } from '../../src/engine/agentTypes.js';
import type { CertificateState } from '../../src/store/stateModel.js';
import { openStore } from '../../src/store/store.js';
import { hasOpenssl, openssl } from '../helpers/tools.js';
import { cli, startAgentLab } from './agentLab.js';
import type { AgentLab } from './agentLab.js';
import { bundleCli, runBundle } from './cliBundle.js';

/** Before the request leaves: the next run submits exactly once. */
const BEFORE_SEND = [
  'engine:key-generated',
  'engine:request-built',
  'submitting:request:temp-written',
  'submitting:key:renamed',
  'submitting:record:temp-written',
  'submitting:record:renamed',
  'engine:submitting-written',
];
/** The request left and its answer is not saved yet: the next run resends the same bytes. */
const IN_FLIGHT = ['answer:temp-written'];
/** The answer is saved, the new generation not yet durable: the next run acts on the saved answer, nothing is sent. */
const ANSWER_SAVED = [
  'answer:renamed',
  'engine:answer-received',
  'engine:issued-verified',
  'generation:dir-created',
  'generation:key-written',
  'generation:cert-written',
  'generation:chain-written',
  'generation:meta-written',
  'generation:dir-synced',
];
/** The new generation is durable: the next run only finishes (pointer, outputs, state, cleanup). */
const AFTER_COMMIT = [
  'generation:renamed',
  'pointer:temp-written',
  'pointer:renamed',
  'generation:committed',
  'engine:generation-committed',
  'output:cert:temp-written',
  'output:cert:renamed',
  'output:key:temp-written',
  'output:key:renamed',
  'output:chain:temp-written',
  'output:chain:renamed',
  'outputs-marker:temp-written',
  'outputs-marker:renamed',
  'engine:outputs-installed',
  'state:temp-written',
  'state:renamed',
  'engine:state-written',
  'pending:cleared',
  'engine:pending-cleared',
  'engine:previous-archived',
];
type Phase = 'before-send' | 'in-flight' | 'answer-saved' | 'after-commit';
const ALL: [string, Phase][] = [
  ...BEFORE_SEND.map((p): [string, Phase] => [p, 'before-send']),
  ...IN_FLIGHT.map((p): [string, Phase] => [p, 'in-flight']),
  ...ANSWER_SAVED.map((p): [string, Phase] => [p, 'answer-saved']),
  ...AFTER_COMMIT.map((p): [string, Phase] => [p, 'after-commit']),
];
/** Enrollment covers a cut through each phase (renewal runs every point). */
const ENROLL_CASES = ALL.filter(([p]) =>
  ['engine:key-generated', 'submitting:record:temp-written', 'engine:submitting-written', 'answer:temp-written', 'answer:renamed',
    'engine:answer-received', 'generation:key-written', 'generation:meta-written',
    'generation:renamed', 'generation:committed', 'output:cert:renamed', 'output:key:temp-written', 'engine:outputs-installed', 'state:renamed',
    'pending:cleared', 'engine:previous-archived'].includes(p),
);

const pubkeyOfCert = (pem: string) => openssl(['x509', '-noout', '-pubkey'], pem).stdout.trim();
const pubkeyOfKey = (pem: string) => openssl(['pkey', '-pubout'], pem).stdout.trim();

/** What a kill may leave: whole generations, a current one whose key matches, whole output files. */
async function assertIntact(stateDir: string, outDir: string, id: string, requireCurrent: boolean): Promise<number | null> {
  const certDir = join(stateDir, 'certs', id);
  for (const name of existsSync(join(certDir, 'generations')) ? readdirSync(join(certDir, 'generations')) : []) {
    if (/^\d+$/.test(name)) expect(readdirSync(join(certDir, 'generations', name)).sort(), `generation ${name}`).toEqual(['cert.pem', 'chain.pem', 'key.pem', 'meta.json']);
  }
  const current = await openStore(stateDir).certificate(id).current();
  if (requireCurrent) expect(current).not.toBeNull();
  if (current) {
    const fromCert = pubkeyOfCert(current.certPem);
    expect(fromCert).toContain('PUBLIC KEY');
    expect(pubkeyOfKey(current.keyPem)).toBe(fromCert);
  }
  for (const [file, kind] of [[`${id}.pem`, 'x509'], [`${id}-chain.pem`, 'x509'], [`${id}.key`, 'pkey']] as const) {
    const path = join(outDir, file);
    if (existsSync(path)) expect(openssl([kind, '-in', path, '-noout']).status, `${file} is whole`).toBe(0);
  }
  return current?.number ?? null;
}

function outputsMatch(outDir: string, id: string): boolean {
  const cert = readFileSync(join(outDir, `${id}.pem`), 'utf8');
  const key = readFileSync(join(outDir, `${id}.key`), 'utf8');
  return pubkeyOfCert(cert) === pubkeyOfKey(key);
}

function inFlightKey(stateDir: string, id: string): string | null {
  const file = join(stateDir, 'certs', id, 'pending', 'key.pem');
  return existsSync(file) && existsSync(join(stateDir, 'certs', id, 'pending', 'submitting.json')) ? readFileSync(file, 'utf8') : null;
}

const answerSaved = (stateDir: string, id: string): boolean => existsSync(join(stateDir, 'certs', id, 'pending', 'answer.json'));

describe.skipIf(!hasOpenssl)('crash safety: SIGKILL at each durable step', () => {
  let env: AgentLab;
  let bundle: string;
  let vars: NodeJS.ProcessEnv;
  let serial = 0;
  const issues = () => env.lab.requestLog().filter((e) => e.operation === 'Issue').length;
  const polls = () => env.lab.requestLog().filter((e) => e.operation === 'QueryTokenStatus').length;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([startAgentLab(), bundleCli()]);
    vars = { LAB_PASSWORD: env.password };
  }, 60_000);
  afterAll(async () => env?.close());

  it.each(ENROLL_CASES)('enrollment killed at %s (%s)', async (point, phase) => {
    const id = `e${++serial}`;
    const config = env.writeConfig(`crash-${id}`, [{ id, template: 'TestInstant' }]);
    const dir = dirname(config);
    const stateDir = join(dir, 'state');
    const outDir = join(dir, 'out');
    const before = issues();

    const killed = await runBundle(bundle, ['--config', config, 'enroll'], { ...vars, AUTOENROLL_CRASH_AT: point });
    expect(killed.signal, `${point} was not reached: ${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stderr).toContain(`crash point ${point}`);
    await assertIntact(stateDir, outDir, id, false);
    const resent = inFlightKey(stateDir, id);
    // (After the commit the saved answer stays until pending/ is cleared; it no longer matters.)
    if (phase !== 'after-commit') expect(answerSaved(stateDir, id), 'answer saved').toBe(phase === 'answer-saved');

    const again = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(again.code, again.err).toBe(0);
    const result = (JSON.parse(again.out) as PassResult).certificates[0]!;
    expect(result.generation).toBe(1);
    expect(await assertIntact(stateDir, outDir, id, true)).toBe(1);
    expect(outputsMatch(outDir, id)).toBe(true);
    expect(issues() - before, 'Issue requests').toBe(phase === 'in-flight' ? 2 : 1);
    if (resent !== null) expect((await openStore(stateDir).certificate(id).current())!.keyPem, 'the finished request used the recorded key').toBe(resent);
    expect(existsSync(join(stateDir, 'certs', id, 'pending'))).toBe(false);
  });

  it.each(ALL)('renewal killed at %s (%s)', async (point, phase) => {
    const id = `r${++serial}`;
    const config = env.writeConfig(`crash-${id}`, [{ id, template: 'TestInstant' }]);
    const dir = dirname(config);
    const stateDir = join(dir, 'state');
    const outDir = join(dir, 'out');
    expect((await cli(['--config', config, 'enroll'], vars)).code).toBe(0);
    const oldKey = (await openStore(stateDir).certificate(id).current())!.keyPem;
    const before = issues();

    const killed = await runBundle(bundle, ['--config', config, 'renew', '--force'], { ...vars, AUTOENROLL_CRASH_AT: point });
    expect(killed.signal, `${point} was not reached: ${killed.stderr}`).toBe('SIGKILL');
    // The old certificate or the new one, always whole, always with its own key.
    const number = await assertIntact(stateDir, outDir, id, true);
    expect([1, 2]).toContain(number);
    const resent = inFlightKey(stateDir, id);
    // (After the commit the saved answer stays until pending/ is cleared; it no longer matters.)
    if (phase !== 'after-commit') expect(answerSaved(stateDir, id), 'answer saved').toBe(phase === 'answer-saved');

    // The user runs the command again. A forced renewal that never started is asked for again;
    // one in flight or committed is finished by any run (here: `renew` without --force).
    const started = resent !== null || existsSync(join(stateDir, 'certs', id, 'generations', '0002'));
    const again = await cli(['--config', config, '--json', 'renew', ...(started ? [] : ['--force'])], vars);
    expect(again.code, again.err).toBe(0);
    expect(await assertIntact(stateDir, outDir, id, true)).toBe(2);
    expect(outputsMatch(outDir, id)).toBe(true);
    expect(issues() - before, 'Issue requests').toBe(phase === 'in-flight' ? 2 : 1);
    const current = (await openStore(stateDir).certificate(id).current())!;
    expect(current.keyPem).not.toBe(oldKey);
    if (resent !== null) expect(current.keyPem, 'the finished request used the recorded key').toBe(resent);
    expect(readdirSync(join(stateDir, 'certs', id, 'archive'))).toEqual(['0001']);
    expect(existsSync(join(stateDir, 'certs', id, 'pending'))).toBe(false);
  });

  it.each([
    'engine:submitting-written',
    'answer:temp-written',
    'answer:renamed',
    'engine:answer-received',
    'pending:request:temp-written',
    'pending:meta:temp-written',
    'pending:meta:renamed',
    'engine:pending-written',
    'engine:pending-state-written',
  ])('pending enrollment killed at %s: never a second request beside a recorded pending one', async (point) => {
    const id = `p${++serial}`;
    const config = env.writeConfig(`crash-${id}`, [{ id, template: 'TestPending' }]);
    const stateDir = join(dirname(config), 'state');
    const before = issues();
    const killed = await runBundle(bundle, ['--config', config, 'enroll'], { ...vars, AUTOENROLL_CRASH_AT: point });
    expect(killed.signal, `${point} was not reached: ${killed.stderr}`).toBe('SIGKILL');
    const recorded = existsSync(join(stateDir, 'certs', id, 'pending', 'meta.json'));
    const saved = answerSaved(stateDir, id);
    // Only a kill between the request leaving and its answer being saved costs a second request.
    const lost = point === 'answer:temp-written';

    const again = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(again.code, again.err).toBe(5);
    const result = (JSON.parse(again.out) as PassResult).certificates[0]!;
    // A recorded pending request is polled; an unrecorded one is finished from its saved answer
    // (its RequestID recorded without sending anything) or, without one, resent once.
    expect(result.action).toBe(recorded ? 'retrieve' : 'resubmit');
    if (!recorded) expect(saved, 'answer saved').toBe(!lost && point !== 'engine:submitting-written');
    expect(issues() - before, 'Issue requests').toBe(lost ? 2 : 1);
    await env.lab.approve(result.requestId!);
    const retrieved = await cli(['--config', config, 'retrieve'], vars);
    expect(retrieved.code, retrieved.err).toBe(0);
    expect(await assertIntact(stateDir, join(dirname(config), 'out'), id, true)).toBe(1);
  });

  it.each([
    'answer:temp-written',
    'answer:renamed',
    'engine:answer-received',
    'generation:dir-synced',
    'generation:committed',
    'output:key:temp-written',
    'engine:state-written',
    'pending:cleared',
  ])(
    'retrieval killed at %s: the next retrieve installs the same request, nothing is resubmitted',
    async (point) => {
      const id = `q${++serial}`;
      const config = env.writeConfig(`crash-${id}`, [{ id, template: 'TestPending' }]);
      const dir = dirname(config);
      const stateDir = join(dir, 'state');
      const first = await cli(['--config', config, '--json', 'enroll'], vars);
      expect(first.code).toBe(5);
      const requestId = (JSON.parse(first.out) as PassResult).certificates[0]!.requestId!;
      const pendingKey = readFileSync(join(stateDir, 'certs', id, 'pending', 'key.pem'), 'utf8');
      await env.lab.approve(requestId);
      const before = issues();
      const killed = await runBundle(bundle, ['--config', config, 'retrieve'], { ...vars, AUTOENROLL_CRASH_AT: point });
      expect(killed.signal, `${point} was not reached: ${killed.stderr}`).toBe('SIGKILL');
      await assertIntact(stateDir, join(dir, 'out'), id, false);
      const polled = polls();
      const again = await cli(['--config', config, 'retrieve'], vars);
      expect(again.code, again.err).toBe(0);
      // A saved issued answer is installed without asking again; only a kill before it was saved polls once more.
      expect(polls() - polled, 'QueryTokenStatus after the kill').toBe(point === 'answer:temp-written' ? 1 : 0);
      expect(await assertIntact(stateDir, join(dir, 'out'), id, true)).toBe(1);
      expect(outputsMatch(join(dir, 'out'), id)).toBe(true);
      expect((await openStore(stateDir).certificate(id).current())!.keyPem).toBe(pendingKey);
      expect(issues() - before).toBe(0);
      expect(existsSync(join(stateDir, 'certs', id, 'pending'))).toBe(false);
    },
  );

  it('retrieval of a denied request killed after the denial arrived: the next retrieve records it without asking again', async () => {
    const id = `d${++serial}`;
    const config = env.writeConfig(`crash-${id}`, [{ id, template: 'TestPending' }]);
    const stateDir = join(dirname(config), 'state');
    const first = await cli(['--config', config, '--json', 'enroll'], vars);
    expect(first.code).toBe(5);
    const requestId = (JSON.parse(first.out) as PassResult).certificates[0]!.requestId!;
    await env.lab.deny(requestId);
    const killed = await runBundle(bundle, ['--config', config, 'retrieve'], { ...vars, AUTOENROLL_CRASH_AT: 'engine:answer-received' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(answerSaved(stateDir, id)).toBe(true);

    const polled = polls();
    const before = issues();
    const again = await cli(['--config', config, '--json', 'retrieve'], vars);
    expect(again.code, again.err).toBe(2);
    expect(polls() - polled).toBe(0);
    expect(issues() - before).toBe(0);
    const result = (JSON.parse(again.out) as PassResult).certificates[0]!;
    expect(result.error).toMatchObject({ requestId });
    const state = JSON.parse(readFileSync(join(stateDir, 'certs', id, 'state.json'), 'utf8')) as CertificateState;
    expect(state.lastError?.hresult).toBe(result.error?.hresult);
    expect(state.pending ?? null).toBeNull();
    expect(existsSync(join(stateDir, 'certs', id, 'pending'))).toBe(false);
  });
});
