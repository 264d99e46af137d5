// The hidden prompt is driven through a stream that stands in for a TTY: raw mode is switched
// on while typing and restored after, nothing typed reaches stderr.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { promptHidden } from '../../src/cli/passwordPrompt.js';
import { AutoenrollError } from '../../src/errors.js';

function fakeTty(): PassThrough & { isRaw: boolean; rawCalls: boolean[]; setRawMode(mode: boolean): void } {
  const stream = new PassThrough() as PassThrough & { isRaw: boolean; rawCalls: boolean[]; setRawMode(mode: boolean): void };
  stream.isRaw = false;
  stream.rawCalls = [];
  stream.setRawMode = (mode: boolean): void => {
    stream.isRaw = mode;
    stream.rawCalls.push(mode);
  };
  return stream;
}

function errSink(): { write(chunk: string): void; text: () => string } {
  let text = '';
  return { write: (chunk: string) => void (text += chunk), text: () => text };
}

describe('promptHidden', () => {
  it('reads up to Enter with backspace applied, without echo, and restores the mode', async () => {
    const stdin = fakeTty();
    const stderr = errSink();
    const answer = promptHidden({ stdin, stderr }, 'Password: ');
    stdin.write('sx\u007fecret');
    stdin.write('\rignored');
    expect(await answer).toBe('secret');
    expect(stderr.text()).toBe('Password: \n');
    expect(stdin.rawCalls).toEqual([true, false]);
  });

  it('rejects with CANCELLED and the caller’s message on Ctrl-C', async () => {
    const stdin = fakeTty();
    const answer = promptHidden({ stdin, stderr: errSink() }, 'Password: ', 'cancelled; nothing was stored');
    stdin.write('abc\u0003');
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoenrollError);
    expect((error as AutoenrollError).code).toBe('CANCELLED');
    expect((error as Error).message).toBe('cancelled; nothing was stored');
    expect(stdin.isRaw).toBe(false);
  });
});
