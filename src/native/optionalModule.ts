// Optional native modules: npm packages with a compiled part (the OS keyring, Kerberos; PKCS#11 is
// meant to come the same way) that autoenroll works without, loaded only when a
// feature needs one. Where they are looked for depends on how autoenroll runs:
//
// - under Node (npm install, a clone): ordinary package resolution from the CLI bundle, that is
//   the installed package's own node_modules;
// - as the single executable (Node's single-executable application: its require() knows only
//   built-in modules): beside the executable, symlinks to it resolved first, in
//     <folder of the executable>/node_modules/<package>            (the tarball's layout)
//     <folder of the executable>/../lib/autoenroll/node_modules/<package>   (the .deb: /usr/lib/autoenroll)
//   `npm install --prefix <that folder without node_modules> <package>` puts one there.
//
// A module that is absent, or present but unloadable (another architecture, a missing shared
// library), is reported with every place looked in and how to install it.
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface OptionalModule {
  /** npm package name. */
  packageName: string;
  /** What needs it, for the message when it is missing. */
  neededFor: string;
}

/** Every optional native module, by the name the code uses. */
export const OPTIONAL_MODULES = {
  keyring: { packageName: '@napi-rs/keyring', neededFor: 'the OS keyring (password: { keyring: NAME }, autoenroll credentials)' },
  kerberos: {
    packageName: 'kerberos',
    neededFor: 'Kerberos authentication (auth: kerberos, Kerberos CES endpoints)',
  },
  pkcs11: { packageName: 'pkcs11js', neededFor: 'keys in a PKCS#11 token (key: { pkcs11: … })' },
} as const satisfies Record<string, OptionalModule>;

export interface Runtime {
  /** True in the single executable. */
  sea: boolean;
  /** process.execPath: the executable itself when sea is true. */
  execPath: string;
}

export function currentRuntime(): Runtime {
  const sea = process.getBuiltinModule?.('node:sea') as { isSea?: () => boolean } | undefined;
  return { sea: sea?.isSea?.() === true, execPath: process.execPath };
}

export class OptionalModuleUnavailable extends Error {
  override readonly name = 'OptionalModuleUnavailable';
  constructor(
    message: string,
    readonly module: OptionalModule,
    /** Package folders looked in (empty under Node: ordinary resolution). */
    readonly searched: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The node_modules folders a single executable at execPath loads optional modules from, in order. */
export function besideExecutable(execPath: string): string[] {
  let real = execPath;
  try {
    real = realpathSync(execPath);
  } catch {
    // An executable that vanished while running: use the path as given.
  }
  const dir = path.dirname(real);
  return [path.join(dir, 'node_modules'), path.join(path.dirname(dir), 'lib', 'autoenroll', 'node_modules')];
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Where to put a module for this executable: /usr/lib/autoenroll for /usr/bin, else its own folder. */
function howToInstall(module: OptionalModule, folders: string[]): string {
  const [own, lib] = folders as [string, string];
  const target = path.basename(path.dirname(own)) === 'bin' ? lib : own;
  return `copy the node_modules folder of the release tarball (the package and its part for this platform) to ${target}, or run: npm install --prefix ${path.dirname(target)} ${module.packageName}`;
}

/** Loads the module, or throws OptionalModuleUnavailable naming where it looked and how to install it. */
export function loadOptionalModule<T>(module: OptionalModule, runtime: Runtime = currentRuntime()): T {
  if (!runtime.sea) {
    try {
      return createRequire(import.meta.url)(module.packageName) as T;
    } catch (error) {
      throw new OptionalModuleUnavailable(
        `${module.neededFor} needs the optional module ${module.packageName}, which cannot be loaded for this platform (${firstLine(error)}); install it with: npm install ${module.packageName}`,
        module,
        [],
        { cause: error },
      );
    }
  }
  const folders = besideExecutable(runtime.execPath);
  const searched = folders.map((folder) => path.join(folder, ...module.packageName.split('/')));
  for (const packageDir of searched) {
    if (!existsSync(path.join(packageDir, 'package.json'))) continue;
    try {
      // An absolute folder: its package.json "main"; its own requires resolve from where it lies.
      return createRequire(path.join(path.dirname(packageDir), 'loader.js'))(packageDir) as T;
    } catch (error) {
      throw new OptionalModuleUnavailable(
        `${module.neededFor} needs the optional module ${module.packageName}; the copy in ${packageDir} cannot be loaded (${firstLine(error)}); replace it with one for this platform (${howToInstall(module, folders)})`,
        module,
        searched,
        { cause: error },
      );
    }
  }
  throw new OptionalModuleUnavailable(
    `${module.neededFor} needs the optional module ${module.packageName}, which is not installed beside this executable (looked in ${searched.join(' and ')}); ${howToInstall(module, folders)}`,
    module,
    searched,
  );
}
