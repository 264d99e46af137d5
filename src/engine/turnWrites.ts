// What a certificate's turn wrote to the store, kept in memory so the plan after the pass starts
// from the turn's own values instead of reading state.json, the current generation (key, cert,
// chain) and pending/ back and parsing the certificate again. Any store call that fails marks the
// record unknown: the plan then reads the store as it is.
import type { CertificateState, PendingRecord } from '../store/stateModel.js';
import type { CertificateStore } from '../store/storeTypes.js';

export interface TurnWrites {
  /** The last state.json written, when one was. */
  state?: CertificateState;
  /** pending/ as last written (null: cleared), when it was touched. */
  pending?: PendingRecord | null;
  /** A store call failed: what is on disk is not known here. */
  unknown: boolean;
}

/** The store with its state and pending/ writes recorded in `writes`; every other call passes through. */
export function recordingStore(store: CertificateStore): { store: CertificateStore; writes: TurnWrites } {
  const writes: TurnWrites = { unknown: false };
  const watch = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (error) {
      writes.unknown = true;
      throw error;
    }
  };
  const recorded: CertificateStore = Object.create(store) as CertificateStore;
  Object.assign(recorded, {
    writeState: async (state: CertificateState): Promise<void> => {
      await watch(store.writeState(state));
      writes.state = state;
    },
    writePending: async (input: Parameters<CertificateStore['writePending']>[0]): Promise<void> => {
      await watch(store.writePending(input));
      writes.pending = { requestDer: input.requestDer, keyPem: input.keyPem, meta: input.meta };
    },
    clearPending: async (): Promise<void> => {
      await watch(store.clearPending());
      writes.pending = null;
    },
    commitGeneration: (input: Parameters<CertificateStore['commitGeneration']>[0]) => watch(store.commitGeneration(input)),
    installOutputs: (...args: Parameters<CertificateStore['installOutputs']>) => watch(store.installOutputs(...args)),
    archive: (number: number) => watch(store.archive(number)),
    archiveAllBut: (currentNumber: number) => watch(store.archiveAllBut(currentNumber)),
  } satisfies Partial<CertificateStore>);
  return { store: recorded, writes };
}
