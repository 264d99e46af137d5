// Progress on long waits: on a terminal, a request that has not been answered after 2 s shows one
// status line on stderr — what is waited for and for how long, against the request timeout — that
// is rewritten every second and erased when the answer comes. Nothing on a pipe, with --quiet, or
// with --json (whose readers parse stderr too). The timer never keeps the process alive.
import type { HttpsClient } from '../transport/httpsClient.js';
import type { OutputStream } from './context.js';

export const PROGRESS_AFTER_MS = 2000;

interface InFlight {
  url: string;
  startedMs: number;
}

function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

/** `client` with the status line on `stream`; `client` itself when no line should be shown. */
export function withProgress(client: HttpsClient, stream: OutputStream, options: { show: boolean; requestTimeoutMs?: number; now?: () => number }): HttpsClient {
  if (!options.show || stream.isTTY !== true) return client;
  const now = options.now ?? Date.now;
  const inFlight = new Set<InFlight>();
  let timer: NodeJS.Timeout | undefined;
  let shown = false;

  const erase = (): void => {
    if (shown) stream.write('\r\u001b[K');
    shown = false;
  };
  const draw = (): void => {
    const oldest = [...inFlight].sort((a, b) => a.startedMs - b.startedMs)[0];
    if (!oldest) return;
    const waited = now() - oldest.startedMs;
    if (waited < PROGRESS_AFTER_MS) return;
    const limit = options.requestTimeoutMs !== undefined ? ` of at most ${Math.round(options.requestTimeoutMs / 1000)} s` : '';
    const more = inFlight.size > 1 ? ` (+${inFlight.size - 1} more)` : '';
    stream.write(`\r\u001b[Kwaiting for ${shortUrl(oldest.url)}${more}: ${Math.floor(waited / 1000)} s${limit}`);
    shown = true;
  };
  const sync = (): void => {
    if (inFlight.size > 0 && timer === undefined) {
      timer = setInterval(draw, 1000);
      timer.unref();
    } else if (inFlight.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
      erase();
    }
  };

  return {
    async post(url, body, postOptions) {
      const entry = { url, startedMs: now() };
      inFlight.add(entry);
      sync();
      try {
        return await client.post(url, body, postOptions);
      } finally {
        inFlight.delete(entry);
        if (inFlight.size > 0) erase();
        sync();
      }
    },
    close: () => {
      inFlight.clear();
      sync();
      return client.close();
    },
  };
}
