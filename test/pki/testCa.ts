// A throwaway two-level CA made with openssl, for tests that need issued certificates.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openssl } from '../helpers/tools.js';

export interface TestCa {
  dir: string;
  rootPem: string;
  intermediatePem: string;
  rootDer: Uint8Array;
  intermediateDer: Uint8Array;
  /** Issues a certificate for a DER PKCS#10 from the intermediate; extra lines go to the extension file. */
  issue(csrDer: Uint8Array, extensions?: string[]): Uint8Array;
}

function run(args: string[], input?: Buffer | string): string {
  const result = openssl(args, input);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

const pemToDer = (pem: string): Uint8Array => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64'));

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'pki-ca-'));
  const file = (name: string): string => join(dir, name);
  writeFileSync(file('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('root.key'), '-out', file('root.pem'), '-subj', '/O=Test/CN=Test Root CA', '-days', '30']);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('int.key'), '-out', file('int.csr'), '-subj', '/O=Test/CN=Test Issuing CA']);
  run(['x509', '-req', '-in', file('int.csr'), '-CA', file('root.pem'), '-CAkey', file('root.key'), '-CAcreateserial', '-out', file('int.pem'), '-days', '30', '-extfile', file('ca.ext')]);
  const rootPem = readFileSync(file('root.pem'), 'utf8');
  const intermediatePem = readFileSync(file('int.pem'), 'utf8');
  let serial = 0;
  return {
    dir,
    rootPem,
    intermediatePem,
    rootDer: pemToDer(rootPem),
    intermediateDer: pemToDer(intermediatePem),
    issue(csrDer, extensions = []) {
      const id = ++serial;
      writeFileSync(file(`leaf${id}.csr`), csrDer);
      writeFileSync(file(`leaf${id}.ext`), ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth,serverAuth', 'authorityKeyIdentifier=keyid', ...extensions].join('\n') + '\n');
      run(['x509', '-req', '-inform', 'DER', '-in', file(`leaf${id}.csr`), '-CA', file('int.pem'), '-CAkey', file('int.key'), '-CAcreateserial', '-out', file(`leaf${id}.pem`), '-days', '2', '-extfile', file(`leaf${id}.ext`)]);
      return pemToDer(readFileSync(file(`leaf${id}.pem`), 'utf8'));
    },
  };
}
