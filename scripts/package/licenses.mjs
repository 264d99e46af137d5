// What the executable contains besides autoenroll's own code, for the packages' copyright notes:
// the npm packages esbuild bundles into the CLI (from a metafile build of the same entry), the
// optional native modules shipped beside it, and Node.js itself.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { optionalModuleClosure } from './natives.mjs';
import { root } from './common.mjs';

function packageOf(input) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match ? match[1] : undefined;
}

/** [{ name, version, license }] of the npm packages bundled into dist/cli.cjs. */
export async function bundledPackages() {
  const result = await build({
    entryPoints: [path.join(root, 'src/cli/entry.ts')],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: 'cli.cjs',
    external: ['@napi-rs/keyring', 'kerberos', 'pkcs11js'],
    define: { 'import.meta.url': '""' },
    logLevel: 'silent',
  });
  const names = new Set(Object.keys(result.metafile.inputs).map(packageOf).filter((name) => name !== undefined));
  return [...names].sort().map((name) => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'));
    return { name, version: pkg.version, license: pkg.license ?? 'see the package' };
  });
}

/** The license text of the Node.js binary the executable is made of, when this host has it. */
export function nodeLicense() {
  const candidates = [path.join(path.dirname(process.execPath), '..', 'share', 'doc', 'nodejs', 'LICENSE'), path.join(path.dirname(process.execPath), '..', 'LICENSE'), '/usr/share/doc/nodejs/LICENSE'];
  const file = candidates.find((candidate) => existsSync(candidate));
  return file ? readFileSync(file, 'utf8') : null;
}

/** A plain-text notice of what is inside, for the tarball and the .deb's copyright file. */
export async function thirdPartyNotice() {
  const lines = [`Node.js ${process.version} (the runtime the executable is made of): MIT, with the licenses of the libraries it embeds (OpenSSL, ICU, V8, libuv, zlib, llhttp, ...) in LICENSE.node.`];
  for (const p of await bundledPackages()) lines.push(`${p.name} ${p.version} (bundled into the CLI): ${p.license}`);
  for (const [name, p] of optionalModuleClosure()) lines.push(`${name} ${p.version} (optional native module, beside the executable): ${p.license ?? 'see the package'}`);
  return lines;
}
