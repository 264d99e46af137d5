// SIGINT / SIGTERM for the CLI process. The first signal aborts the one AbortSignal every command
// receives (its reason is an InterruptedError, so whatever was in flight — an HTTPS request, a
// backoff sleep, an `enroll --wait` poll — ends with it). One-shot commands then exit 130 (SIGINT)
// or 143 (SIGTERM) and print "interrupted", never a success line; if a command has not unwound
// within INTERRUPT_GRACE_MS the process exits anyway (state is crash-safe: writes are
// write-beside + fsync + rename). A second SIGINT exits at once. `run` stops on its own (the
// service aborts its pass) and is ended after RUN_STOP_GRACE_MS at the latest; `lab` and `demo`
// handle the signal themselves.
import { ExitCode, InterruptedError } from '../errors.js';
import type { OutputStream } from './context.js';

export const INTERRUPT_GRACE_MS = 700;
export const RUN_STOP_GRACE_MS = 1_800;

const SELF_HANDLED = new Set(['lab', 'demo']);

export interface InterruptHandler {
  signal: AbortSignal;
  /** The exit code to use once runCli returned: an interrupted one-shot command always exits 130/143. */
  finish(code: number): number;
}

type SignalName = 'SIGINT' | 'SIGTERM';

type SignalSource = Pick<NodeJS.EventEmitter, 'on' | 'removeListener'>;

export function installInterruptHandler(
  command: string | undefined,
  stderr: OutputStream,
  exit: (code: number) => never | void,
  source: SignalSource = process,
): InterruptHandler {
  const controller = new AbortController();
  const oneShot = command === undefined || (command !== 'run' && !SELF_HANDLED.has(command));
  let received: SignalName | undefined;
  let reported = false;

  const report = (): void => {
    if (reported) return;
    reported = true;
    stderr.write(`autoenroll: interrupted (${received ?? 'signal'})\n`);
  };
  const codeOf = (name: SignalName): number => (name === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED);

  const onSignal = (name: SignalName): void => {
    if (received !== undefined) {
      // A second SIGINT (or any signal during the grace period of a one-shot command): now.
      if (name === 'SIGINT' || oneShot) {
        report();
        exit(command === 'run' && received === 'SIGTERM' && name === 'SIGTERM' ? 0 : codeOf(name));
      }
      return;
    }
    received = name;
    controller.abort(new InterruptedError(name));
    if (oneShot) {
      setTimeout(() => {
        report();
        exit(codeOf(name));
      }, INTERRUPT_GRACE_MS).unref();
    } else if (command === 'run') {
      setTimeout(() => exit(name === 'SIGTERM' ? 0 : codeOf(name)), RUN_STOP_GRACE_MS).unref();
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  source.on('SIGINT', onInt);
  source.on('SIGTERM', onTerm);

  return {
    signal: controller.signal,
    finish(code) {
      source.removeListener('SIGINT', onInt);
      source.removeListener('SIGTERM', onTerm);
      if (received === undefined || !oneShot) return code;
      if (code !== codeOf(received)) report();
      // A connect still in progress (a blackholed server) would keep the process alive until its
      // own timeout: once the output is out, exit.
      const final = codeOf(received);
      setTimeout(() => exit(final), 50).unref();
      return final;
    },
  };
}

/** Before a command prints its result: an interrupted command reports the interruption instead. */
export function throwIfInterrupted(signal: AbortSignal): void {
  if (signal.aborted && signal.reason instanceof InterruptedError) throw signal.reason;
}
