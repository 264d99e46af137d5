// What every notification sink is: something that delivers one event or rejects saying why.
import type { QueuedEvent } from './outboxModel.js';

export interface NotificationSink {
  readonly name: string;
  /** Resolves once the event was accepted; rejects (with a message fit for a log) otherwise. */
  deliver(event: QueuedEvent, signal?: AbortSignal): Promise<void>;
  /** Frees connections (webhook). */
  close?(): Promise<void>;
}

/** A delivery that failed; the message names the sink and the cause, never a secret. */
export class DeliveryFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}
