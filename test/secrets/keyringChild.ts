// Runs inside a D-Bus session with gnome-keyring-daemon (started by keyring.test.ts), or without
// one: exercises `credentials set`, resolveSecret({ keyring }) and `config validate` against the
// real Secret Service and prints what happened as one JSON line.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { errorToJson } from '../../src/errors.js';
import { deleteKeyring } from '../../src/secrets/keyring.js';
import { resolveSecret } from '../../src/secrets/resolveSecret.js';

const [mode, workDir] = process.argv.slice(2) as [string, string];

async function cli(argv: string[], input: string) {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await runCli(argv, {
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    stdin,
    env: process.env,
    cwd: workDir,
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

const result: Record<string, unknown> = {};
if (mode === 'roundtrip') {
  result.set = await cli(['--json', 'credentials', 'set', 'enroll'], 'p@ss w0rd!\nignored second line\n');
  result.value = await resolveSecret({ keyring: 'enroll' }, { env: process.env });
  result.replaced = (await cli(['credentials', 'set', 'enroll'], 'second\n')).code;
  result.valueAfterReplace = await resolveSecret({ keyring: 'enroll' }, { env: process.env });
  result.missing = await resolveSecret({ keyring: 'nobody' }, { env: process.env }).catch(errorToJson);
  const config = path.join(workDir, 'config.yaml');
  writeFileSync(
    config,
    'stateDir: ./state\npolicyServers:\n  - url: https://cep.example/CEP\n    auth: username\n    username: u\n    password: { keyring: enroll }\n',
  );
  result.validate = await cli(['--config', config, 'config', 'validate'], '');
  result.deleted = await deleteKeyring('enroll');
  result.afterDelete = await resolveSecret({ keyring: 'enroll' }, { env: process.env }).catch(errorToJson);
} else {
  result.read = await resolveSecret({ keyring: 'enroll' }, { env: process.env }).catch(errorToJson);
  result.set = await cli(['credentials', 'set', 'enroll'], 'pw\n');
}
process.stdout.write(`${JSON.stringify(result)}\n`);
