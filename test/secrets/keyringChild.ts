// Runs inside a D-Bus session with gnome-keyring-daemon (started by keyring.test.ts), or without
// one: exercises `credentials set`, resolveSecret({ keyring }) and `config validate` against the
// real Secret Service and prints what happened as one JSON line.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { run as configValidate } from '../../src/cli/commands/configValidate.js';
import { run as credentialsSet } from '../../src/cli/commands/credentialsSet.js';
import type { CommandContext } from '../../src/cli/context.js';
import { errorToJson, exitCodeOf } from '../../src/errors.js';
import { deleteKeyring } from '../../src/secrets/keyring.js';
import { resolveSecret } from '../../src/secrets/resolveSecret.js';

const [mode, workDir] = process.argv.slice(2) as [string, string];

/** Runs one command module the way the CLI does (errors reported on stderr with their exit code). */
async function cli(command: 'credentials-set' | 'config-validate', args: string[], input: string, globals: Partial<CommandContext['globals']> = {}) {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  stdin.end(input);
  const context: CommandContext = {
    globals: { config: undefined, json: false, verbose: false, quiet: false, ...globals },
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    stdin,
    env: process.env,
    cwd: workDir,
    signal: new AbortController().signal,
  };
  let code: number;
  try {
    code = command === 'credentials-set' ? await credentialsSet({ args }, context) : await configValidate({}, context);
  } catch (error) {
    const data = errorToJson(error);
    err += `autoenroll: error [${data.code}]: ${data.message}\n`;
    code = exitCodeOf(error);
  }
  return { code, out, err };
}

const result: Record<string, unknown> = {};
if (mode === 'roundtrip') {
  result.set = await cli('credentials-set', ['enroll'], 'p@ss w0rd!\nignored second line\n', { json: true });
  result.value = await resolveSecret({ keyring: 'enroll' }, { env: process.env });
  result.replaced = (await cli('credentials-set', ['enroll'], 'second\n')).code;
  result.valueAfterReplace = await resolveSecret({ keyring: 'enroll' }, { env: process.env });
  result.missing = await resolveSecret({ keyring: 'nobody' }, { env: process.env }).catch(errorToJson);
  const config = path.join(workDir, 'config.yaml');
  writeFileSync(
    config,
    'stateDir: ./state\npolicyServers:\n  - url: https://cep.example/CEP\n    auth: username\n    username: u\n    password: { keyring: enroll }\n',
  );
  result.validate = await cli('config-validate', [], '', { config });
  result.deleted = await deleteKeyring('enroll');
  result.afterDelete = await resolveSecret({ keyring: 'enroll' }, { env: process.env }).catch(errorToJson);
} else {
  result.read = await resolveSecret({ keyring: 'enroll' }, { env: process.env }).catch(errorToJson);
  result.set = await cli('credentials-set', ['enroll'], 'pw\n');
}
process.stdout.write(`${JSON.stringify(result)}\n`);
