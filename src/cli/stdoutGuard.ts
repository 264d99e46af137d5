// `autoenroll … | head`: once the reader is gone, a write to stdout fails with EPIPE, emitted as
// an 'error' event on process.stdout; without a listener Node turns it into an uncaught
// exception with a stack trace. The output was not wanted any more, so the process ends quietly
// with the exit code it already had (what `head`-style consumers expect of a Unix tool).
import type { OutputStream } from './context.js';

type Listenable = OutputStream & { on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown };

const guarded = new WeakSet<object>();

/** Installs the EPIPE handler on `stream` once; other errors keep their normal (loud) course. */
export function guardStdout(stream: OutputStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  const target = stream as Partial<Listenable>;
  if (typeof target.on !== 'function' || guarded.has(stream)) return;
  guarded.add(stream);
  (stream as Listenable).on('error', (error) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      return;
    }
    throw error;
  });
}
