// Child process for the crash tests (bundled with esbuild by the test). It does what the executor
// does with the store, idempotently: take the lock, recover, commit the target generation unless
// it is already current, install outputs unless they are already from the current generation.
// AUTOENROLL_CRASH_AT makes it SIGKILL itself at a named point. Mode `increment` is for the lock tests.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OutputConfig } from '../../src/config/types.js';
import { crashPoint } from '../../src/store/crashPoint.js';
import type { NewGeneration, PendingMeta } from '../../src/store/stateModel.js';
import { openStore } from '../../src/store/store.js';

const [mode, stateDir, materialFile, outputsJson] = process.argv.slice(2) as [string, string, string, string];

if (mode === 'count') {
  for (let i = 1; i <= 3; i++) {
    crashPoint('counted');
    process.stdout.write(`passed ${i}\n`);
  }
  process.exit(0);
}

if (mode === 'increment') {
  // Lock contention: read-modify-write of a counter under the certificate lock.
  const { readFile, writeFile } = await import('node:fs/promises');
  const release = await openStore(stateDir).lock('web', { wait: 10_000 });
  const value = Number(await readFile(materialFile, 'utf8').catch(() => '0'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await writeFile(materialFile, String(value + 1));
  await release();
  process.exit(0);
}

const store = openStore(stateDir);
const cert = store.certificate('web');
const release = await store.lock('web', { wait: 2000 });
try {
  if (mode === 'commit') {
    const target = JSON.parse(readFileSync(materialFile, 'utf8')) as NewGeneration;
    const outputs = JSON.parse(outputsJson) as OutputConfig;
    const report = await cert.recover(outputs);
    let current = await cert.current();
    if (current?.meta.thumbprintSha1 !== target.meta.thumbprintSha1) current = await cert.commitGeneration(target);
    const marker = await cert.readOutputsMarker();
    if (marker?.generation !== current.number) {
      await cert.installOutputs(current, outputs, { bytes: Buffer.from(`pfx:${current.meta.thumbprintSha1}`) });
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else if (mode === 'pending') {
    // Submit → answer saved → pending record → state mirror → (later) issued: commit and clear.
    // Each "send" (no saved answer to act on) is counted in <case>/sends.
    const target = JSON.parse(readFileSync(materialFile, 'utf8')) as NewGeneration;
    const report = await cert.recover();
    const meta: PendingMeta = {
      requestId: target.meta.requestId as string,
      endpointUrl: 'https://ces.example/CES',
      submittedAt: new Date().toISOString(),
      templateName: 'Machine',
      kind: 'enroll',
      auth: 'username',
    };
    const requestDer = Buffer.from('request');
    const requestDigest = createHash('sha256').update(requestDer).digest('hex');
    const pending = await cert.readPending();
    const submitting = await cert.readSubmitting();
    if (!pending && !submitting && (await cert.current())?.meta.requestId !== meta.requestId) {
      await cert.writeSubmitting({ requestDer, keyPem: target.keyPem, record: { requestDigest, endpointUrl: meta.endpointUrl, startedAt: meta.submittedAt, templateName: 'Machine', kind: 'enroll', auth: 'username' } });
    }
    if (!(await cert.readPending()) && (await cert.current())?.meta.requestId !== meta.requestId) {
      // The stored key must be the one the request was made with, whatever run wrote it.
      const stored = (await cert.readSubmitting())?.keyPem;
      if (stored !== target.keyPem) throw new Error('submission key lost');
      if ((await cert.readAnswer()) === null) {
        appendFileSync(path.join(path.dirname(stateDir), 'sends'), 'sent\n');
        await cert.writeAnswer({
          record: { requestDigest, operation: 'issue', endpointUrl: meta.endpointUrl, auth: 'username', httpStatus: 200, receivedAt: meta.submittedAt },
          body: `<pending requestId="${meta.requestId}"/>`,
        });
      }
      await cert.writePending({ requestDer, keyPem: stored, meta });
      await cert.writeState({ schemaVersion: 1, id: 'web', consecutiveFailures: 0, pending: meta, status: 'PENDING' });
    }
    const again = await cert.readPending();
    if (again) {
      await cert.commitGeneration({ ...target, keyPem: again.keyPem });
      await cert.clearPending();
    }
    if ((await cert.current())?.meta.requestId === meta.requestId && (await cert.readState())?.status !== 'VALID') {
      await cert.writeState({ schemaVersion: 1, id: 'web', consecutiveFailures: 0, pending: null, status: 'VALID' });
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
} finally {
  await release();
}
