// The demo's voice: numbered steps, a sentence on what happens and why, the key facts aligned, and
// a verdict per step. Readable text goes to stdout; with --json it goes to stderr (unless --quiet)
// and stdout carries only the final JSON document (cli.md: one document on stdout).
import type { OutputStream } from '../context.js';

export type FactValue = string | number | boolean | null | string[] | Record<string, unknown> | Array<Record<string, unknown>>;

export interface StepRecord {
  step: number;
  name: string;
  title: string;
  ok: boolean;
  durationMs: number;
  /** One sentence: what the step showed. */
  summary: string;
  facts: Record<string, FactValue>;
}

const LABEL_WIDTH = 16;
const INDENT = '      ';

export class Narrator {
  private readonly out: OutputStream | null;

  constructor(out: OutputStream | null, readonly total: number) {
    this.out = out;
  }

  private write(text: string): void {
    this.out?.write(text);
  }

  title(text: string): void {
    this.write(`${text}\n`);
  }

  heading(step: number, title: string): void {
    this.write(`\n[${step}/${this.total}] ${title}\n`);
  }

  /** A short explanation (already line-broken by the caller where long). */
  say(text: string): void {
    for (const line of text.split('\n')) this.write(`${INDENT}${line}\n`);
  }

  fact(label: string, value: string | number | string[]): void {
    const lines = Array.isArray(value) ? value : [String(value)];
    lines.forEach((line, index) => {
      const head = index === 0 ? label.padEnd(LABEL_WIDTH) : ' '.repeat(LABEL_WIDTH);
      this.write(`${INDENT}${head}${line}\n`);
    });
  }

  ok(text: string): void {
    this.write(`${INDENT}ok: ${text}\n`);
  }

  failed(text: string): void {
    this.write(`${INDENT}FAILED: ${text}\n`);
  }

  /** Starts a line that `tick` extends (a countdown) and `endLine` finishes. */
  startLine(text: string): void {
    this.write(`${INDENT}${text}`);
  }

  tick(text: string): void {
    this.write(text);
  }

  endLine(text = ''): void {
    this.write(`${text}\n`);
  }

  blank(): void {
    this.write('\n');
  }
}
