// certificates[].key.pkcs11: parsed with the module path made absolute and the PIN as a secret
// reference; the key algorithm optional; a PFX output and a PIN written in the file refused.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/etc/autoenroll/config.yaml';
const base = `policyServers:
  - url: https://cep.example.com/CEP
    auth: username
    username: enroll
    password: { env: PW }
certificates:
  - id: web
    template: Machine
`;

function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, FILE, { platform: 'linux' });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('key.pkcs11', () => {
  it('reads uri, module (relative to the config folder) and the PIN source; algorithm optional', () => {
    const config = parseConfig(`${base}    key: { pkcs11: { uri: "pkcs11:token=machine;object=web", module: lib/libsofthsm2.so, pin: { file: pin.txt } } }\n`, FILE, { platform: 'linux' });
    expect(config.certificates[0]?.pkcs11).toEqual({ uri: 'pkcs11:token=machine;object=web', module: '/etc/autoenroll/lib/libsofthsm2.so', pin: { file: '/etc/autoenroll/pin.txt' } });
    expect(config.certificates[0]?.key).toBeUndefined();
    const sized = parseConfig(`${base}    key: { algorithm: RSA, size: 3072, pkcs11: { uri: "pkcs11:token=machine", module: /usr/lib/softhsm/libsofthsm2.so, pin: { env: PIN } } }\n`, FILE, { platform: 'linux' });
    expect(sized.certificates[0]?.key).toEqual({ algorithm: 'RSA', size: 3072 });
  });

  it('refuses a PFX output for a token key, a PIN in the file, a URI that is not pkcs11: and a key with neither algorithm nor pkcs11', () => {
    const pfx = errorOf(`${base}    key: { pkcs11: { uri: "pkcs11:token=t", module: /m.so, pin: { env: PIN } } }\n    output: { pfx: { path: /x.pfx, password: { env: PFXPW } } }\n`);
    expect(pfx.code).toBe('PKCS11_PFX_REFUSED');
    expect(pfx.message).toContain('never leaves the PKCS#11 token');
    expect(errorOf(`${base}    key: { pkcs11: { uri: "pkcs11:token=t", module: /m.so, pin: "1234" } }\n`).message).toContain('must not be written in the configuration file');
    expect(errorOf(`${base}    key: { pkcs11: { uri: "token=t", module: /m.so, pin: { env: PIN } } }\n`).message).toContain('PKCS#11 URI');
    expect(errorOf(`${base}    key: { size: 2048 }\n`).message).toContain('"algorithm"');
  });
});
