// A throw-away PKI for the transport tests, made with the openssl CLI: a trusted root, server
// certificates that are good / expired / for the wrong name / from an unknown CA, and a client
// certificate. Validity dates are set with `openssl ca -startdate/-enddate` (openssl 3.0's `x509`
// has no way to back-date a certificate).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openssl } from '../../helpers/tools.js';

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  dir: string;
  rootPem: string;
  /** 127.0.0.1 + localhost, issued by the root. */
  server: Issued;
  /** 127.0.0.1 + localhost, valid in 2020 only. */
  expired: Issued;
  /** 127.0.0.1 + localhost, valid from 2090 on. */
  notYetValid: Issued;
  /** Only `wrong.example.invalid`. */
  wrongName: Issued;
  /** 127.0.0.1 + localhost, issued by a CA nobody trusts. */
  unknownIssuer: Issued;
  /** A client authentication certificate issued by the root. */
  client: Issued;
  /** A client certificate from the untrusted CA (servers requiring the root refuse it). */
  untrustedClient: Issued;
  cleanup(): void;
}

function run(args: string[]): void {
  const result = openssl(args);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  run([
    'req', '-x509', '-new', '-key', key, '-out', cert, '-days', '3650', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const caDir = join(dir, `${name}-db`);
  mkdirSync(caDir);
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'serial'), '1000\n');
  writeFileSync(
    join(caDir, 'ca.cnf'),
    [
      '[ca]', 'default_ca = local',
      '[local]', `dir = ${caDir}`, 'database = $dir/index.txt', 'serial = $dir/serial', 'new_certs_dir = $dir',
      'default_md = sha256', 'policy = anything', 'unique_subject = no', 'copy_extensions = none',
      '[anything]', 'commonName = supplied',
    ].join('\n') + '\n',
  );
  return { cert, key };
}

function issue(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  options: { cn: string; san?: string; clientAuth?: boolean; start?: string; end?: string },
): Issued {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  run(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${options.cn}`]);
  writeFileSync(
    ext,
    [
      '[leaf]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical,digitalSignature',
      `extendedKeyUsage = ${options.clientAuth ? 'clientAuth' : 'serverAuth'}`,
      ...(options.san ? [`subjectAltName = ${options.san}`] : []),
    ].join('\n') + '\n',
  );
  const caDir = ca.cert.replace(/\.pem$/, '-db');
  run([
    'ca', '-batch', '-notext', '-config', join(caDir, 'ca.cnf'), '-cert', ca.cert, '-keyfile', ca.key,
    '-in', csr, '-out', cert, '-extfile', ext, '-extensions', 'leaf',
    '-startdate', options.start ?? '20240101000000Z', '-enddate', options.end ?? '20991231000000Z',
  ]);
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'autoenroll-transport-pki-'));
  const root = makeCa(dir, 'Test Root');
  const stranger = makeCa(dir, 'Stranger Root');
  const local = 'DNS:localhost,IP:127.0.0.1';
  return {
    dir,
    rootPem: readFileSync(root.cert, 'utf8'),
    server: issue(dir, root, 'server', { cn: 'localhost', san: local }),
    expired: issue(dir, root, 'expired', { cn: 'localhost', san: local, start: '20200101000000Z', end: '20200201000000Z' }),
    notYetValid: issue(dir, root, 'future', { cn: 'localhost', san: local, start: '20900101000000Z', end: '20910101000000Z' }),
    wrongName: issue(dir, root, 'wrongname', { cn: 'wrong.example.invalid', san: 'DNS:wrong.example.invalid' }),
    unknownIssuer: issue(dir, stranger, 'stranger', { cn: 'localhost', san: local }),
    client: issue(dir, root, 'client', { cn: 'ws01.contoso.test', clientAuth: true }),
    untrustedClient: issue(dir, stranger, 'client2', { cn: 'intruder.test', clientAuth: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
