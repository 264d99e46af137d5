// Structured logging: one event per line on stderr. JSON lines by default (what journald and log
// shippers want), readable "time level event key=value" lines when stderr is a terminal, coloured
// by level when the caller says the terminal takes colours (logColor.ts: NO_COLOR, TERM=dumb).
// Event names are stable identifiers (e.g. "renewal.succeeded"); fields are plain data.
// Secrets never reach a logger: callers log references (env var names, file paths), not values,
// and every line is passed through the redactor (secrets/redactor.ts) for what others quote.
import { redact } from '../secrets/redactor.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

export interface LogFields {
  [key: string]: unknown;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds these fields to every event (e.g. the certificate id). */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  sink: { write(chunk: string): unknown; isTTY?: boolean };
  level?: LogLevel;
  format?: LogFormat | 'auto';
  /** ANSI colours on the level of text lines (never in JSON). */
  color?: boolean;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const minimum = rank[options.level ?? 'info'];
  const format: LogFormat = options.format === 'json' || options.format === 'text' ? options.format : options.sink.isTTY ? 'text' : 'json';
  const now = options.now ?? (() => new Date());

  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (rank[level] < minimum) return;
    const time = now().toISOString();
    const record = { time, level, event, ...bound, ...fields };
    options.sink.write(redact(format === 'json' ? `${safeStringify(record)}\n` : `${formatText(record, options.color === true)}\n`));
  };

  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (for library calls made without one). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** SGR colour of each level: dim debug, plain info, yellow warn, bold red error. */
const LEVEL_COLOR: Record<LogLevel, string> = { debug: '2', info: '36', warn: '33', error: '1;31' };

function formatText(record: LogFields & { time: string; level: LogLevel; event: string }, color: boolean): string {
  const { time, level, event, ...rest } = record;
  const parts = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const label = level.toUpperCase().padEnd(5);
  return [time.slice(11, 19), color ? `\u001b[${LEVEL_COLOR[level]}m${label}\u001b[0m` : label, color ? `\u001b[1m${event}\u001b[0m` : event, ...parts].join(' ');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Date) return value.toISOString();
  return safeStringify(value);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
      if (typeof v === 'bigint') return v.toString();
      return v;
    });
  } catch {
    return '"[unserializable]"';
  }
}
