// `autoenroll request --policy-server URL --template T --username U --password-stdin --subject DN
// [--dns NAME ...] [--key rsa:2048|ec:p256] [--ca-file PEM] --out DIR [--request-id ID]`:
// one-shot enrollment with no config file (like certreq). Writes DIR/cert.pem, DIR/key.pem (0600),
// DIR/chain.pem; a pending answer prints the RequestID, saves it with the CES URL in
// DIR/request.json and exits 5; `--request-id ID` with the same options retrieves it later.
// The password comes from stdin (--password-stdin) or a prompt on a TTY, never from argv.
import { requestedLogFormat, wantsColor } from '../../log/logColor.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, InputError, UsageError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { parseKeySpec } from '../../pki/keys.js';
import type { OneShotOptions, OneShotResult } from '../../engine/oneShotRequest.js';
import { readRequestRecord, requestCertificate, retrieveCertificate } from '../../engine/oneShotRequest.js';
import { createHttpsClient } from '../../transport/httpsClient.js';
import { systemRandom } from '../../transport/random.js';
import type { CommandContext } from '../context.js';
import { promptHidden, readLine } from '../passwordPrompt.js';
import { withProgress } from '../progress.js';
import { guardStdout } from '../stdoutGuard.js';
import { throwIfInterrupted } from '../interrupts.js';
import { registerSecret } from '../../secrets/redactor.js';

export interface RequestCommandOptions {
  policyServer?: string;
  template?: string;
  username?: string;
  passwordStdin?: boolean;
  subject?: string;
  dns?: string[];
  ip?: string[];
  upn?: string[];
  email?: string[];
  key?: string;
  caFile?: string;
  requestId?: string;
  out: string;
}

export async function run(options: RequestCommandOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const outDir = path.resolve(context.cwd, options.out);
  // --request-id: what --out recorded (request.json) stands in for the options not given again.
  const recorded = options.requestId !== undefined ? await readRequestRecord(outDir) : null;
  const policyServer = options.policyServer ?? recorded?.policyServer;
  const template = options.template ?? recorded?.template;
  const username = options.username ?? recorded?.username;
  const fromOut = options.requestId !== undefined ? ` (${path.join(outDir, 'request.json')} does not record it)` : '';
  if (policyServer === undefined || policyServer === '') throw new UsageError(`request needs --policy-server (the CEP URL)${fromOut}`, 'POLICY_SERVER_REQUIRED');
  if (template === undefined || template === '') throw new UsageError(`request needs --template (the template common name or OID)${fromOut}`, 'TEMPLATE_REQUIRED');
  if (username === undefined || username === '') throw new UsageError(`request needs --username (the enrollment account, DOMAIN\\user or UPN)${fromOut}`, 'USERNAME_REQUIRED');
  const key = options.key !== undefined ? parseKeySpec(options.key) : undefined;
  let caPem: string | undefined;
  if (options.caFile !== undefined) {
    const file = path.resolve(context.cwd, options.caFile);
    caPem = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new InputError(`--ca-file ${file} cannot be read (${error.code ?? error.message})`, 'TRUST_FILE_UNREADABLE');
    });
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new InputError(`--ca-file ${file} holds no PEM certificate`, 'TRUST_FILE_INVALID');
  }
  const password = await readPassword({ ...options, username }, context);

  const oneShot: OneShotOptions = {
    policyServerUrl: policyServer,
    template,
    username,
    password,
    dns: options.dns ?? [],
    ip: options.ip ?? [],
    upn: options.upn ?? [],
    email: options.email ?? [],
    outDir,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(key ? { key } : {}),
    ...(caPem !== undefined ? { caPem } : {}),
  };
  const http = withProgress(createHttpsClient({ ...(caPem !== undefined ? { ca: caPem } : {}), env: context.env }), context.stderr, { show: !context.globals.quiet && !context.globals.json });
  const logger = createLogger({ sink: context.stderr, level: context.globals.quiet ? 'error' : context.globals.verbose ? 'debug' : 'warn', format: requestedLogFormat(context.env), color: wantsColor(context.stderr, context.env) });
  const deps = { http, now: Date.now, random: systemRandom, logger, signal: context.signal };
  let result: OneShotResult;
  try {
    result = options.requestId !== undefined ? await retrieveCertificate({ ...oneShot, requestId: options.requestId }, deps) : await requestCertificate(oneShot, deps);
  } catch (error) {
    throw inTermsOfRequest(error);
  } finally {
    await http.close({ force: context.signal.aborted });
  }
  throwIfInterrupted(context.signal);
  context.stdout.write(context.globals.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result, options));
  return result.status === 'issued' ? ExitCode.OK : ExitCode.PENDING;
}

/** Hints of the shared layers name configuration keys; `request` has options instead. */
function inTermsOfRequest(error: unknown): unknown {
  if (error instanceof Error && error.message.includes('trust.caFile')) {
    error.message = error.message.replace(/set trust\.caFile to/g, 'give --ca-file with').replace(/trust\.caFile/g, '--ca-file');
  }
  return error;
}

function describe(result: OneShotResult, options: RequestCommandOptions): string {
  if (result.status === 'pending') {
    return [
      `RequestID ${result.requestId}`,
      `pending: request ${result.requestId} waits for CA manager approval at ${result.endpoint}`,
      `saved: ${result.files.key} (0600), ${result.files.request}`,
      `once approved, run the same command with --request-id ${result.requestId} --out ${options.out}`,
      '',
    ].join('\n');
  }
  return [
    `issued: ${result.subject}, serial ${result.serial}, thumbprint ${result.thumbprint}, valid until ${result.notAfter}${result.requestId ? ` (RequestID ${result.requestId})` : ''}`,
    `written: ${result.files.cert}, ${result.files.key} (0600), ${result.files.chain}`,
    ...(result.anchored ? [] : ['note: the chain does not reach a certificate of --ca-file; chain.pem holds what the CA and the policy provided']),
    '',
  ].join('\n');
}

async function readPassword(options: RequestCommandOptions, context: CommandContext): Promise<string> {
  let password: string;
  if (options.passwordStdin) password = await readLine(context.stdin);
  else if (context.stdin.isTTY) password = await promptHidden(context, `Password for ${options.username ?? ''}: `);
  else throw new UsageError('no password: pass --password-stdin and write it on stdin, or run on a terminal to be prompted (never on the command line)', 'PASSWORD_REQUIRED');
  if (password === '') throw new UsageError('the password is empty', 'PASSWORD_EMPTY');
  registerSecret(password);
  return password;
}
