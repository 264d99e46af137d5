// A CES answer saved beside its request (pending/answer.json) before it is acted on, and acted on
// again from that copy after a crash: the issued certificate, the "pending" RequestID or the CA's
// denial is then not asked for a second time. Only answers that decide the request are saved
// (see AnswerSink in cesClient.ts); everything else leaves the request record as it was, so the
// next run resends (a submission) or polls (a pending request) exactly as before.
import { InternalError, IssuedCertificateRefused, ProtocolError } from '../errors.js';
import type { AnswerRecord, SavedAnswer } from '../store/stateModel.js';
import type { CertificateStore } from '../store/storeTypes.js';
import { parseCesAnswer } from './cesClient.js';
import type { CesAnswer, RawCesAnswer } from './cesClient.js';
import { installIssued } from './issuance.js';
import type { InstallContext, Installed, InstallInput } from './issuance.js';

/** Saves a deciding answer durably beside its request; on failure the request record is left as it was. */
export async function saveAnswer(
  nowMs: () => number,
  store: CertificateStore,
  record: Omit<AnswerRecord, 'httpStatus' | 'receivedAt'>,
  raw: RawCesAnswer,
  requestDigestOnDisk?: string,
): Promise<void> {
  try {
    await store.writeAnswer(
      { record: { ...record, httpStatus: raw.status, receivedAt: new Date(nowMs()).toISOString() }, body: raw.body },
      requestDigestOnDisk !== undefined ? { requestDigestOnDisk } : {},
    );
  } catch (error) {
    throw new InternalError(
      `the answer of ${raw.url} could not be saved (${(error as Error).message}); the request is kept and the next run asks again`,
      'STATE_ANSWER_UNSAVED',
      { cause: error },
    );
  }
}

/** The saved answer as the typed answer it was when it arrived; a saved denial is thrown as its EnrollmentDenied. */
export function replayAnswer(saved: SavedAnswer): CesAnswer {
  return parseCesAnswer({ body: saved.body, status: saved.record.httpStatus, url: saved.record.endpointUrl });
}

/**
 * installIssued, except that a certificate failing our checks (not our key, bad CMC hash,
 * malformed) also forgets the saved answer: it can never be installed, so the next run asks
 * again rather than replaying it forever. An untrusted chain keeps it: that is fixed in the
 * configuration, after which the saved certificate is installed without a new request. A
 * certificate refused by the issued-certificate checks (IssuedCertificateRefused) ends the request.
 */
export async function installAnswer(ctx: InstallContext, input: InstallInput): Promise<Installed> {
  try {
    return await installIssued(ctx, input);
  } catch (error) {
    if (error instanceof ProtocolError) await input.store.clearAnswer();
    if (error instanceof IssuedCertificateRefused) {
      // The CA's answer to this request is final and unusable: the request (and its key) is over;
      // the failure is recorded with backoff and a later attempt sends a new request.
      await input.store.clearAnswer();
      await input.store.clearSubmitting();
      await input.store.clearPending();
    }
    throw error;
  }
}
