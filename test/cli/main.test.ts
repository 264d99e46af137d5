import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cliContext.js';

describe('command line', () => {
  it('prints help and exits 0', async () => {
    const ctx = captureContext();
    expect(await runCli(['--help'], ctx)).toBe(0);
    expect(ctx.out()).toContain('Usage: autoenroll');
  });

  it('exits 4 on an unknown option', async () => {
    const ctx = captureContext();
    expect(await runCli(['status', '--no-such-option'], ctx)).toBe(4);
    expect(ctx.err()).toContain('unknown option');
  });

  it('accepts global options after the command', async () => {
    const ctx = captureContext();
    expect(await runCli(['config', 'validate', '--help'], ctx)).toBe(0);
  });
});
