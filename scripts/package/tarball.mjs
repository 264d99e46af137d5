// autoenroll-<version>-linux-x64.tar.gz: the executable, with what it loads beside it and what an
// installation by hand needs:
//   autoenroll-<version>-linux-x64/autoenroll            the single executable
//   autoenroll-<version>-linux-x64/node_modules/         optional native modules (src/native/optionalModule.ts)
//   autoenroll-<version>-linux-x64/autoenroll.service    the unit, for the executable in /usr/local/bin
//   autoenroll-<version>-linux-x64/config.example.yaml   the commented example configuration
//   autoenroll-<version>-linux-x64/README.md, THIRD-PARTY.txt, LICENSE.node
//   autoenroll-<version>-linux-x64/autoenroll.1, completions/   when autoenroll has them (extras.mjs)
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { names, root, run } from './common.mjs';
import { nodeLicense, thirdPartyNotice } from './licenses.mjs';
import { copyOptionalModules } from './natives.mjs';
import { renderPackagedUnit } from './unit.mjs';

export async function buildTarball({ out, work, executable, extras }) {
  const stageParent = path.join(work, 'tarball');
  const stage = path.join(stageParent, names.tarballDir);
  mkdirSync(stage, { recursive: true });
  copyFileSync(executable, path.join(stage, 'autoenroll'));
  chmodSync(path.join(stage, 'autoenroll'), 0o755);
  copyOptionalModules(stage);
  writeFileSync(path.join(stage, 'autoenroll.service'), await renderPackagedUnit('/usr/local/bin/autoenroll', work));
  copyFileSync(path.join(root, 'packaging/config.example.yaml'), path.join(stage, 'config.example.yaml'));
  copyFileSync(path.join(root, 'README.md'), path.join(stage, 'README.md'));
  writeFileSync(path.join(stage, 'THIRD-PARTY.txt'), `${(await thirdPartyNotice()).join('\n')}\n`);
  const license = nodeLicense();
  if (license !== null) writeFileSync(path.join(stage, 'LICENSE.node'), license);
  if (extras.manPage) writeFileSync(path.join(stage, 'autoenroll.1'), readFileSync(extras.manPage));
  for (const completion of extras.completions) {
    mkdirSync(path.join(stage, 'completions'), { recursive: true });
    writeFileSync(path.join(stage, 'completions', path.basename(completion.path)), completion.text);
  }
  const tarball = path.join(out, names.tarball);
  // Owned by root, in name order, one modification time: the same tree gives the same archive.
  const mtime = process.env.SOURCE_DATE_EPOCH ? `@${process.env.SOURCE_DATE_EPOCH}` : '@0';
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=${mtime}`, '-czf', tarball, '-C', stageParent, names.tarballDir]);
  return tarball;
}
