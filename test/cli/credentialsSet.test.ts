// The keyring round trip itself is in test/secrets/keyring.test.ts (it needs a Secret Service);
// these pin what is refused before the keyring is touched.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLine } from '../../src/cli/passwordPrompt.js';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';

describe('autoenroll credentials set', () => {
  it('refuses a name that could not be used in { keyring: NAME }', async () => {
    const ctx = captureContext({ stdin: 'pw\n' });
    expect(await runCli(['credentials', 'set', 'a/b'], ctx)).toBe(4);
    expect(ctx.err()).toContain('expects a NAME');
  });

  it('refuses an empty password from stdin and stores nothing', async () => {
    const ctx = captureContext({ stdin: '\n' });
    expect(await runCli(['credentials', 'set', 'enroll'], ctx)).toBe(4);
    expect(ctx.err()).toContain('PASSWORD_EMPTY');
  });

  it('takes exactly the first line of stdin', async () => {
    const one = new PassThrough();
    one.end('first line\r\nsecond\n');
    expect(await readLine(one)).toBe('first line');
    const chunked = new PassThrough();
    chunked.write('pa');
    setTimeout(() => chunked.end('ss\nrest'), 5);
    expect(await readLine(chunked)).toBe('pass');
    const noNewline = new PassThrough();
    noNewline.end('only');
    expect(await readLine(noNewline)).toBe('only');
  });
});
