// autoenroll_<version>_amd64.deb, built with dpkg-deb from a staged tree (no debian/ source package):
//   /usr/bin/autoenroll                         the single executable
//   /usr/lib/autoenroll/node_modules/           optional native modules it loads (src/native/optionalModule.ts)
//   /lib/systemd/system/autoenroll.service      the hardened unit, skipped until configured
//   /etc/autoenroll/config.yaml.example         commented example (conffile)
//   /usr/share/doc/autoenroll/                  README, copyright, changelog, Node's license
//   /usr/share/man/man1/autoenroll.1.gz, completions   when autoenroll has them (extras.mjs)
// Maintainer scripts are in packaging/deb/; /var/lib/autoenroll (0700) is made by postinst, so that
// `remove` keeps it and `purge` deletes it. What lintian says and why: packaging/README.md.
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { debianVersion, manifest, root, run, version } from './common.mjs';
import { nodeLicense, thirdPartyNotice } from './licenses.mjs';
import { copyOptionalModules } from './natives.mjs';
import { renderPackagedUnit } from './unit.mjs';

const MAINTAINER = `${process.env.DEBFULLNAME ?? 'autoenroll developers'} <${process.env.DEBEMAIL ?? 'autoenroll@users.noreply.github.com'}>`;

function put(stage, file, content, mode = 0o644) {
  const target = path.join(stage, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

const gzip = (text) => gzipSync(Buffer.isBuffer(text) ? text : Buffer.from(text), { level: 9 });

/** Release date for the changelog: SOURCE_DATE_EPOCH, else the last commit, else now (RFC 2822). */
function releaseDate() {
  let seconds = Number(process.env.SOURCE_DATE_EPOCH);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    try {
      seconds = Number(run('git', ['log', '-1', '--format=%ct'], { cwd: root }).stdout.trim());
    } catch {
      seconds = Math.floor(Date.now() / 1000);
    }
  }
  return new Date(seconds * 1000).toUTCString().replace('GMT', '+0000');
}

async function copyright() {
  const mit = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 associated documentation files (the "Software"), to deal in the Software without restriction,
 including without limitation the rights to use, copy, modify, merge, publish, distribute,
 sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
 NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
 OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
 CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
  const year = new Date(releaseDate()).getUTCFullYear();
  const inside = (await thirdPartyNotice()).map((line) => ` ${line}`).join('\n');
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: autoenroll

Files: *
Copyright: ${year} autoenroll developers
License: Expat

Files: usr/bin/autoenroll usr/lib/autoenroll/*
Copyright: ${year} autoenroll developers; Node.js contributors and the authors of the packages below
License: Expat
Comment: /usr/bin/autoenroll is a Node.js single-executable application. Besides autoenroll it contains:
${inside.replace(/^ $/gm, ' .')}
 The license of Node.js and of the libraries it embeds is in
 /usr/share/doc/autoenroll/LICENSE.node.gz.

License: Expat
 ${mit}
`;
}

function control({ installedKiB, depends }) {
  return `Package: autoenroll
Version: ${debianVersion(version)}
Architecture: amd64
Maintainer: ${MAINTAINER}
Installed-Size: ${installedKiB}
Depends: ${depends}
Recommends: systemd
Suggests: libgssapi-krb5-2, krb5-user
Section: admin
Priority: optional
Description: certificate autoenrollment from AD CS web services (CEP/CES)
 autoenroll gives machines outside an Active Directory domain what Windows gives
 domain members: certificates enrolled from Active Directory Certificate
 Services over its web services (MS-XCEP policy, MS-WSTEP enrollment), pending
 requests retrieved after approval, and key-based renewal with the existing
 certificate, with failover between endpoints. It runs as a systemd service
 and as one-shot commands, and includes a CEP/CES lab to try it out.
`;
}

/** Shared-library dependencies of the executable, from dpkg-shlibdeps (dpkg-dev). */
function shlibDepends(stage, executable) {
  mkdirSync(path.join(stage, '..', 'debian'), { recursive: true });
  writeFileSync(path.join(stage, '..', 'debian', 'control'), 'Source: autoenroll\n\nPackage: autoenroll\nArchitecture: amd64\n');
  const result = run('dpkg-shlibdeps', ['-O', executable], { cwd: path.join(stage, '..') });
  const match = /^shlibs:Depends=(.+)$/m.exec(result.stdout);
  if (!match) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends: ${result.stdout}`);
  return match[1];
}

function walk(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...walk(file, base));
    else out.push(path.relative(base, file));
  }
  return out;
}

/** Builds the .deb into `out`; returns its path. */
export async function buildDeb({ out, work, executable, extras, unitText }) {
  const stage = path.join(work, 'deb', 'root');
  mkdirSync(stage, { recursive: true });
  mkdirSync(path.join(stage, 'usr/bin'), { recursive: true });
  copyFileSync(executable, path.join(stage, 'usr/bin/autoenroll'));
  chmodSync(path.join(stage, 'usr/bin/autoenroll'), 0o755);
  const natives = copyOptionalModules(path.join(stage, 'usr/lib/autoenroll'));
  put(stage, 'lib/systemd/system/autoenroll.service', unitText ?? (await renderPackagedUnit('/usr/bin/autoenroll', work)));
  put(stage, 'etc/autoenroll/config.yaml.example', readFileSync(path.join(root, 'packaging/config.example.yaml')));

  const doc = 'usr/share/doc/autoenroll';
  put(stage, `${doc}/copyright`, await copyright());
  put(stage, `${doc}/changelog.gz`, gzip(`autoenroll (${debianVersion(version)}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- ${MAINTAINER}  ${releaseDate()}\n`));
  put(stage, `${doc}/README.md.gz`, gzip(readFileSync(path.join(root, 'README.md'))));
  const license = nodeLicense();
  if (license !== null) put(stage, `${doc}/LICENSE.node.gz`, gzip(license));
  if (extras.manPage) put(stage, 'usr/share/man/man1/autoenroll.1.gz', gzip(readFileSync(extras.manPage)));
  for (const completion of extras.completions) put(stage, completion.path, completion.text);
  const overrides = readFileSync(path.join(root, 'packaging/deb/lintian-overrides'), 'utf8');
  const noManPage = extras.manPage ? '' : '# No autoenroll(1) in this version yet (scripts/package/extras.mjs packages it once it exists).\nautoenroll: no-manual-page [usr/bin/autoenroll]\n';
  put(stage, 'usr/share/lintian/overrides/autoenroll', overrides + noManPage);

  const files = walk(stage);
  let bytes = 0;
  for (const file of files) bytes += statSync(path.join(stage, file)).size;
  const meta = path.join(stage, 'DEBIAN');
  mkdirSync(meta, { recursive: true });
  put(stage, 'DEBIAN/control', control({ installedKiB: Math.ceil(bytes / 1024), depends: shlibDepends(stage, path.join(stage, 'usr/bin/autoenroll')) }));
  put(stage, 'DEBIAN/conffiles', '/etc/autoenroll/config.yaml.example\n');
  const sums = files
    .filter((file) => !file.startsWith('etc/'))
    .sort()
    .map((file) => `${createHash('md5').update(readFileSync(path.join(stage, file))).digest('hex')}  ${file}`);
  put(stage, 'DEBIAN/md5sums', `${sums.join('\n')}\n`);
  for (const script of ['postinst', 'prerm', 'postrm']) cpSync(path.join(root, 'packaging/deb', script), path.join(meta, script));
  for (const script of ['postinst', 'prerm', 'postrm']) chmodSync(path.join(meta, script), 0o755);
  // Folders 0755 whatever the umask of the build.
  for (const dir of new Set(files.flatMap((file) => path.dirname(file).split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))))) chmodSync(path.join(stage, dir), 0o755);

  mkdirSync(out, { recursive: true });
  const deb = path.join(out, `autoenroll_${debianVersion(version)}_amd64.deb`);
  // xz level 1: 5× faster than the default 6 for 15 % more bytes (BENCHMARKS.md, "Packages");
  // AUTOENROLL_DEB_XZ_LEVEL=6..9 for a smaller release file.
  const level = /^[0-9]$/.test(process.env.AUTOENROLL_DEB_XZ_LEVEL ?? '') ? process.env.AUTOENROLL_DEB_XZ_LEVEL : '1';
  run('dpkg-deb', ['--root-owner-group', '-Zxz', `-z${level}`, '--build', stage, deb]);
  return { deb, natives, name: manifest.name };
}
