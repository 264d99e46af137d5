// What a CES submit does when its answer does not arrive within the submit timeout. The CES may
// still be working on the request: the CA can issue it after the client gave up, and a second
// submit elsewhere then makes a second certificate. Failing over is still worth it once (a CES
// that hangs would otherwise block the renewal), so a timed-out submit may be followed by exactly
// one submit to the next endpoint: at most one duplicate per timeout.

/** Default of transport.submitTimeout: how long a CES submit may take before it counts as failed. */
export const DEFAULT_SUBMIT_TIMEOUT_MS = 120_000;

/**
 * Whether the next endpoint may be tried after a submit that timed out, given how many submits of
 * this operation (this pass's request, the one that just timed out included) have timed out.
 */
export function mayFailOverAfterSubmitTimeout(timedOutSubmits: number): boolean {
  return timedOutSubmits <= 1;
}
