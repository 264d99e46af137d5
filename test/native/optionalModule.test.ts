// The optional native module loader: under Node, package resolution; as the single executable,
// beside it (its own node_modules, then ../lib/autoenroll/node_modules), symlinks resolved; missing
// or broken modules named with every place looked in.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { besideExecutable, loadOptionalModule, OPTIONAL_MODULES, OptionalModuleUnavailable } from '../../src/native/optionalModule.js';

const work = mkdtempSync(path.join(tmpdir(), 'autoenroll-native-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const fake = { packageName: '@example/fake-native', neededFor: 'the fake feature' };

function installFake(nodeModules: string, body: string): void {
  const dir = path.join(nodeModules, '@example', 'fake-native');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: fake.packageName, main: 'index.js' }));
  writeFileSync(path.join(dir, 'index.js'), body);
}

describe('optional native modules', () => {
  it('under Node, loads the keyring package from node_modules', () => {
    const keyring = loadOptionalModule<{ AsyncEntry: unknown }>(OPTIONAL_MODULES.keyring, { sea: false, execPath: process.execPath });
    expect(typeof keyring.AsyncEntry).toBe('function');
  });

  it('as the executable, looks in its own node_modules, then ../lib/autoenroll/node_modules', () => {
    const root = path.join(work, 'usr');
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    const exe = path.join(root, 'bin', 'autoenroll');
    writeFileSync(exe, '');
    expect(besideExecutable(exe)).toEqual([path.join(root, 'bin', 'node_modules'), path.join(root, 'lib', 'autoenroll', 'node_modules')]);
    installFake(path.join(root, 'lib', 'autoenroll', 'node_modules'), "module.exports = { from: 'lib' };");
    expect(loadOptionalModule(fake, { sea: true, execPath: exe })).toEqual({ from: 'lib' });
    installFake(path.join(root, 'bin', 'node_modules'), "module.exports = { from: 'beside' };");
    expect(loadOptionalModule(fake, { sea: true, execPath: exe })).toEqual({ from: 'beside' });
    // A symlink elsewhere finds the modules of the file it points to.
    const link = path.join(work, 'link-to-autoenroll');
    symlinkSync(exe, link);
    expect(loadOptionalModule(fake, { sea: true, execPath: link })).toEqual({ from: 'beside' });
  });

  it('names every folder looked in and how to install it when the module is absent', () => {
    const exe = path.join(work, 'opt', 'autoenroll');
    mkdirSync(path.dirname(exe), { recursive: true });
    writeFileSync(exe, '');
    let error: unknown;
    try {
      loadOptionalModule(fake, { sea: true, execPath: exe });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OptionalModuleUnavailable);
    const e = error as OptionalModuleUnavailable;
    expect(e.searched).toEqual([path.join(work, 'opt', 'node_modules', '@example', 'fake-native'), path.join(work, 'lib', 'autoenroll', 'node_modules', '@example', 'fake-native')]);
    expect(e.message).toContain('the fake feature needs the optional module @example/fake-native, which is not installed beside this executable');
    expect(e.message).toContain(`npm install --prefix ${path.join(work, 'opt')} @example/fake-native`);
  });

  it('reports a module that is there but cannot be loaded, with the cause', () => {
    const exe = path.join(work, 'broken', 'autoenroll');
    mkdirSync(path.dirname(exe), { recursive: true });
    writeFileSync(exe, '');
    installFake(path.join(work, 'broken', 'node_modules'), "throw new Error('wrong ELF class: ELFCLASS32');");
    expect(() => loadOptionalModule(fake, { sea: true, execPath: exe })).toThrow(/the copy in .*fake-native cannot be loaded \(wrong ELF class: ELFCLASS32\); replace it/);
  });
});
