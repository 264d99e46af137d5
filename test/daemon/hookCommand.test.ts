import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../src/daemon/hookCommand.js';

describe('splitCommand', () => {
  it.each([
    ['systemctl reload nginx', ['systemctl', 'reload', 'nginx']],
    ['  a   b\tc  ', ['a', 'b', 'c']],
    [`cp "/etc/my certs/a.pem" '/tmp/$HOME b'`, ['cp', '/etc/my certs/a.pem', '/tmp/$HOME b']],
    [String.raw`echo "say \"hi\" \\ \n"`, ['echo', String.raw`say "hi" \ \n`]],
    [String.raw`C:\tools\reload.exe --flag`, [String.raw`C:\tools\reload.exe`, '--flag']],
    [String.raw`a\ b c\"d`, ['a b', 'c"d']],
    [`x "" ''`, ['x', '', '']],
    ['echo a;rm -rf / | cat > x', ['echo', 'a;rm', '-rf', '/', '|', 'cat', '>', 'x']],
    [`pre"mid dle"'post'`, ['premid dlepost']],
  ])('%s', (input, expected) => {
    expect(splitCommand(input)).toEqual(expected);
  });

  it('rejects an unterminated quote and an empty command with a clear error', () => {
    expect(() => splitCommand(`echo "oops`)).toThrow(/unterminated " quote/);
    expect(() => splitCommand(`echo 'oops`)).toThrow(/unterminated ' quote/);
    expect(() => splitCommand('   ')).toThrow(/empty/);
  });
});
