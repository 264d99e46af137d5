// The command-line entry point. It only parses arguments and dispatches: each command lives in
// its own module under ./commands and is loaded on demand, so `status` never pays for the
// crypto or HTTP stacks. Exit codes follow ../shared/docs/cli.md.
import { Argument, Command, CommanderError, Help, Option } from 'commander';
import { ExitCode, errorToJson, exitCodeOf, isAutoenrollError, UsageError } from '../errors.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { SERVICE_VERB_TEXT } from './help/serviceTexts.js';
import { invokedCommand } from './invokedCommand.js';
import { fileSystemError } from '../store/fsErrors.js';

type Loader = () => Promise<{ run: (options: never, context: CommandContext) => Promise<number> }>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `only`: define just this top-level command (see invokedCommand); undefined defines all of them. */
export function buildProgram(context: Omit<CommandContext, 'globals'>, onExit: (code: number) => void, only?: string): Command {
  const program = new Command('autoenroll');
  program
    .description('Certificate autoenrollment from AD CS web services (CEP/CES) for machines outside the domain')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--config <path>', 'configuration file (else $AUTOENROLL_CONFIG, else the OS default)')
    .option('--json', 'machine-readable output on stdout (one JSON document)', false)
    .option('--verbose', 'more log detail on stderr', false)
    .option('--quiet', 'only errors on stderr', false)
    .configureHelp({
      showGlobalOptions: true,
      // "(default: false)" after every switch says nothing to a reader.
      optionDescription(this: Help, option: Option): string {
        return option.isBoolean() ? option.description : Help.prototype.optionDescription.call(this, option);
      },
    })
    .showHelpAfterError('(autoenroll --help lists the commands)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });

  const dispatch = (load: Loader) => async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const options = { ...command.opts(), args: command.args };
    const globals = program.opts<GlobalOptions & { color?: boolean }>();
    if (globals.quiet && globals.verbose) throw new UsageError('--quiet and --verbose contradict each other: give one of them', 'CONFLICTING_OPTIONS');
    const module = await load();
    // --no-color is NO_COLOR for this command (src/log/logColor.ts).
    const env = globals.color === false ? { ...context.env, NO_COLOR: '1' } : context.env;
    const code = await module.run(options as never, { ...context, env, globals: { config: globals.config, json: globals.json, verbose: globals.verbose, quiet: globals.quiet } });
    onExit(code);
  };

  // One definer per top-level command, in help order. Only the invoked command's definition is
  // built when argv names one (commander's set-up of every option is a few ms of each start);
  // help, version and anything unrecognised get all of them, so their output never changes.
  const commands: Record<string, () => void> = {
    enroll: () => {
      program
        .command('enroll')
        .description('initial enrollment of configured certificates that have none (like certreq -enroll)')
        .option('--id <id>', 'only this certificate')
        .option('--wait <seconds>', 'when pending, poll for up to this many seconds', parseSeconds)
        .action(dispatch(() => import('./commands/enroll.js')));
    },
    renew: () => {
      program
        .command('renew')
        .description('key-based renewal now; without --force only inside the renewal window')
        .option('--id <id>', 'only this certificate')
        .option('--force', 'renew even outside the renewal window', false)
        .option('--reuse-key', 'renew with the same key', false)
        .action(dispatch(() => import('./commands/renew.js')));
    },
    retrieve: () => {
      program
        .command('retrieve')
        .description('fetch the result of pending requests (like certreq -retrieve)')
        .option('--id <id>', 'only this certificate')
        .action(dispatch(() => import('./commands/retrieve.js')));
    },
    pulse: () => {
      program
        .command('pulse')
        .description('one full autoenrollment pass now: asks the running service, else runs in-process (like certutil -pulse)')
        .option('--wait', 'wait for the pass and print its outcome', false)
        .option('--dry-run', 'fetch the policy and show what the pass would do (policy-driven certificates included), change nothing', false)
        .action(dispatch(() => import('./commands/pulse.js')));
    },
    status: () => {
      program
        .command('status')
        .description('one row per configured certificate')
        .option('--id <id>', 'only this certificate')
        .option('--check', 'exit 0 only when every certificate is VALID, else with the code of the worst state (7 expired, 5 pending, 4 needs attention, 3 backing off or renewal due): for monitoring', false)
        .action(dispatch(() => import('./commands/status.js')));
    },
    plan: () => {
      program
        .command('plan')
        .description('what the next pass would do, and when, without doing it')
        .option('--at <time>', 'plan as if the clock read TIME (ISO 8601, or +DURATION such as +30d)')
        .option('--id <id>', 'only this certificate')
        .action(dispatch(() => import('./commands/plan.js')));
    },
    policy: () => {
      program
        .command('policy')
        .description('fetch (or decode a saved) GetPoliciesResponse: templates, CAs, enrollment URIs')
        .option('--file <response.xml>', 'decode a saved response (bare body or full envelope) instead of fetching')
        .option('--server <url|priority>', 'ask only this configured policy server (its URL, or every one of this priority)')
        .action(dispatch(() => import('./commands/policy.js')));
    },
    run: () => {
      program
        .command('run')
        .description('the service, in the foreground (what the unit files start)')
        .action(dispatch(() => import('./commands/run.js')));
    },
    doctor: () => {
      program
        .command('doctor')
        .description('per-endpoint checks: DNS, TCP, TLS chain and name, auth, clock skew, policy')
        .action(dispatch(() => import('./commands/doctor.js')));
    },
    request: () => {
      program
        .command('request')
        .description('one-shot enrollment with no config file (like certreq); writes --out files')
        .option('--policy-server <url>', 'CEP URL (username/password); with --request-id, default: the one --out recorded')
        .option('--template <name>', 'template common name or OID; with --request-id, default: the one --out recorded')
        .option('--username <user>', 'enrollment account (DOMAIN\\user or UPN); with --request-id, default: the one --out recorded')
        .option('--password-stdin', 'read the password from the first line of stdin', false)
        .option('--subject <dn>', 'subject DN, e.g. CN=host.example.com')
        .option('--dns <name>', 'DNS subject alternative name (repeatable)', collect, [])
        .option('--ip <address>', 'IP subject alternative name (repeatable)', collect, [])
        .option('--upn <upn>', 'UPN subject alternative name (repeatable)', collect, [])
        .option('--email <address>', 'e-mail subject alternative name (repeatable)', collect, [])
        .option('--key <spec>', 'key type: rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384|ec:p521')
        .option('--ca-file <pem>', 'CA bundle that verifies the CEP/CES TLS servers')
        .option('--request-id <id>', 'retrieve this pending request instead of submitting a new one')
        .requiredOption('--out <dir>', 'folder for cert.pem, key.pem (0600) and chain.pem')
        .action(dispatch(() => import('./commands/request.js')));
    },
    lab: () => {
      const lab = program
        .command('lab')
        .description('the built-in CEP/CES emulator: `lab` serves; `lab approve ID`, `lab deny ID` act on a running lab')
        .option('--dir <dir>', 'lab state folder (CA keys, users, requests, log)')
        .option('--port <n>', 'HTTPS port (default 49999)', parsePort)
        .option('--kerberos-keytab <file>', 'add Kerberos CEP/CES endpoints, accepting tickets for HTTP/127.0.0.1 with the keys in this keytab (needs the kerberos module)')
        .option('--require-channel-binding', 'Kerberos endpoints refuse tokens without channel bindings (IIS Extended Protection: Required)')
        .option('--templates <file>', 'certificate templates (YAML or JSON list: name, oid, validitySeconds, renewalSeconds, autoEnroll, supersedes, flags)')
        .option('--fault <[endpoint=]kind>', 'inject a fault (issueExpired, issueNotYetValid, issueWrongSubject, issueWrongSan, issueNotBeforeAhead, reflectRequest, wrongAction, brokenCaCertificate, notFound, resetAfterHandshake, uploadReadAhead, tls13ClientCert, kerberosOnly, blackhole, refuse, hang, http500, malformed, slow:MS, slowSubmit:MS) on one endpoint or, without endpoint=, on every endpoint (repeatable)', collect, [])
        .action(dispatch(() => import('./commands/lab.js')));
      lab
        .command('approve <requestId>')
        .description('approve a pending request on a running lab')
        .option('--dir <dir>', 'lab state folder')
        .action(withLabDir(dispatch(() => import('./commands/labApprove.js'))));
      lab
        .command('deny <requestId>')
        .description('deny a pending request on a running lab')
        .option('--dir <dir>', 'lab state folder')
        .action(withLabDir(dispatch(() => import('./commands/labDeny.js'))));

      // `lab approve ID --dir D`: commander hands --dir to the parent `lab`; give it back.
      function withLabDir(action: (...args: unknown[]) => Promise<void>) {
        return (...args: unknown[]) => {
          const command = args[args.length - 1] as Command;
          if (command.opts().dir === undefined && command.parent?.opts().dir !== undefined) command.setOptionValue('dir', command.parent.opts().dir);
          return action(...args);
        };
      }
    },
    demo: () => {
      program
        .command('demo')
        .description('lab + agent: enrollment, pending, approval, key-based renewal, failover, in under a minute')
        .option('--dir <dir>', 'keep the demo files in this folder instead of a temporary one')
        .action(dispatch(() => import('./commands/demo.js')));
    },
    service: () => {
      const service = program.command('service').description('register the agent with the OS: a systemd unit, a launchd daemon or a Windows scheduled task');
      for (const verb of ['install', 'uninstall', 'status'] as const) {
        service
          .command(verb)
          .description(SERVICE_VERB_TEXT[verb].description)
          .option('--dry-run', SERVICE_VERB_TEXT[verb].dryRun, false)
          .option('--unit-dir <dir>', SERVICE_VERB_TEXT[verb].unitDir)
          // The three verbs share one module; this tells it which one ran.
          .addOption(new Option('--verb <verb>').default(verb).hideHelp())
          .action(dispatch(() => import('./commands/service.js')));
      }
    },
    config: () => {
      const config = program.command('config').description('configuration helpers');
      config
        .command('validate')
        .description('check a config file without touching the network')
        .action(dispatch(() => import('./commands/configValidate.js')));
    },
    notify: () => {
      const notify = program.command('notify').description('notification sinks');
      notify
        .command('test')
        .description('send a sample event through every configured sink now and print what each said')
        .option('--event <name>', 'renewal-failing (default), pending-approval, expiring, expired, needs-attention, recovered or installed')
        .option('--id <id>', 'the certificate the sample is about (default: the first configured)')
        .action(dispatch(() => import('./commands/notifyTest.js')));
    },
    hook: () => {
      const hook = program.command('hook').description('deploy hooks');
      hook
        .command('test')
        .description("run a certificate's deploy hook with its documented environment, without renewing")
        .option('--id <id>', 'the certificate whose deploy hook to run')
        .action(dispatch(() => import('./commands/hookTest.js')));
    },
    credentials: () => {
      const credentials = program.command('credentials').description('enrollment passwords in the OS keyring: set, list, delete');
      credentials
        .command('set <name>')
        .description('store a password in the OS keyring under NAME (prompted on a TTY, else one line from stdin)')
        .action(dispatch(() => import('./commands/credentialsSet.js')));
      credentials
        .command('list')
        .description('the names stored in the OS keyring for autoenroll, and which ones the configuration references (never the passwords)')
        .action(dispatch(() => import('./commands/credentialsList.js')));
      credentials
        .command('delete <name>')
        .description('remove the password stored in the OS keyring under NAME')
        .action(dispatch(() => import('./commands/credentialsDelete.js')));
    },
    completion: () => {
      program
        .command('completion')
        .description('print a shell completion script (bash: source <(autoenroll completion bash))')
        .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
        .action(dispatch(() => import('./commands/completion.js')));
    },
  };
  for (const [name, define] of Object.entries(commands)) if (only === undefined || only === name) define();

  program.addOption(new Option('--no-color', 'plain output').hideHelp());
  pointToOwnHelp(program);
  return program;
}

/** After a usage error, each command points to its own --help instead of printing it whole. */
function pointToOwnHelp(command: Command, words: string[] = []): void {
  for (const sub of command.commands) {
    const path = [...words, sub.name()];
    sub.showHelpAfterError(`(autoenroll ${path.join(' ')} --help shows its usage)`);
    pointToOwnHelp(sub, path);
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--wait expects a number of seconds, got "${value}"`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port expects 0..65535, got "${value}"`);
  return n;
}

declare const __AUTOENROLL_VERSION__: string | undefined;
const VERSION = typeof __AUTOENROLL_VERSION__ === 'string' ? __AUTOENROLL_VERSION__ : '0.0.0-dev';

/** Runs the CLI with the given argv (without node and script) and resolves to the exit code. */
export async function runCli(argv: string[], context: Omit<CommandContext, 'globals'>): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram(
    context,
    (code) => {
      exitCode = code;
    },
    invokedCommand(argv),
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.OK;
      return ExitCode.CONFIG;
    }
    const json = argv.includes('--json');
    // A file-system failure outside a certificate's turn (the state folder, --out) is typed too.
    const typed = isAutoenrollError(error) ? error : (fileSystemError(error) ?? error);
    reportError(typed, json, context);
    return exitCodeOf(typed);
  }
}

function reportError(error: unknown, json: boolean, context: Omit<CommandContext, 'globals'>): void {
  const data = errorToJson(error);
  if (json) {
    context.stdout.write(`${JSON.stringify({ error: data })}\n`);
  }
  const label = isAutoenrollError(error) ? `error [${data.code}]` : 'internal error';
  context.stderr.write(`autoenroll: ${label}: ${data.message}\n`);
  if (!isAutoenrollError(error) && error instanceof Error && process.env.AUTOENROLL_DEBUG) {
    context.stderr.write(`${error.stack ?? ''}\n`);
  }
}
