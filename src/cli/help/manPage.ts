// autoenroll(1) in roff (man macros), made from the command tree (commandTree.ts), the same source
// as --help: every command, subcommand and option with the text --help prints, then the exit codes,
// environment and files of the command-line contract. The build writes it to dist/man/autoenroll.1
// (scripts/build.mjs), where the packages pick it up.
import type { CommandInfo, OptionInfo } from './commandTree.js';
import { HELP_OPTION, usageLine } from './commandTree.js';

export interface ManPageInput {
  tree: CommandInfo;
  version: string;
  /** The page's date, YYYY-MM-DD (the build passes a fixed one so that the page is reproducible). */
  date: string;
}

/** Text for roff: backslashes, leading dots and quotes escaped, hyphens in option names kept as minus signs. */
export function roffText(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\e')
    .replace(/(^|[\s(`"'[|=,])-(-?)(?=[A-Za-z0-9])/g, (_, before: string, second: string) => `${before}\\-${second ? '\\-' : ''}`)
    .replace(/`([^`]+)`/g, '\\fB$1\\fR');
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

const EXIT_CODES: [number, string][] = [
  [0, 'success, including "nothing was due"'],
  [1, 'internal error'],
  [2, 'the CA or enrollment service denied or rejected the request'],
  [3, 'every endpoint was unreachable (the service retries)'],
  [4, 'configuration, usage or credential error (retrying will not help)'],
  [5, 'pending: waiting for CA manager approval'],
  [6, 'a certificate was installed but a hook failed'],
  [7, 'expired: key-based renewal is impossible, re-enrollment credentials are needed'],
  [130, 'interrupted (SIGINT)'],
  [143, 'terminated (SIGTERM)'],
];

function optionItem(o: OptionInfo): string {
  const flags = o.flags.replace(/<([^>]+)>/g, (_, v: string) => `\\fI${v}\\fR`).replace(/-/g, '\\-');
  return `.TP\n.B ${flags}\n${roffText(o.description)}\n`;
}

function commandSection(c: CommandInfo): string {
  let out = `.SS "${c.path.join(' ')}"\n`;
  out += `.B ${roffText(usageLine('autoenroll', c))}\n.br\n${roffText(c.description)}\n`;
  if (c.options.length > 0) out += `.RS\n${c.options.map(optionItem).join('')}.RE\n`;
  return out;
}

function leaves(c: CommandInfo): CommandInfo[] {
  return c.commands.flatMap((s) => (s.commands.length === 0 ? [s] : [...(s.runnable || s.options.length > 0 ? [s] : []), ...leaves(s)]));
}

export function manPage({ tree, version, date }: ManPageInput): string {
  const commands = leaves(tree).filter((c) => c.name !== 'help');
  return `.\\" autoenroll(1), made from the --help texts by the build; do not edit.
.TH AUTOENROLL 1 ${date} "autoenroll ${version}" "User Commands"
.SH NAME
autoenroll \\- certificate autoenrollment from AD CS web services (CEP/CES)
.SH SYNOPSIS
.B autoenroll
.RI [ global-options ]
.I command
.RI [ options ]
.SH DESCRIPTION
${roffText(tree.description)}.
It enrolls, renews (key\\-based renewal with the current certificate) and retrieves pending requests
over MS\\-XCEP (policy) and MS\\-WSTEP (enrollment), with prioritized failover between endpoints.
Logs go to standard error; standard output carries results.
Every command prints its own help with
.BR \\-\\-help .
.SH GLOBAL OPTIONS
These are accepted by every command, before or after its name.
${[...tree.options, HELP_OPTION].map(optionItem).join('')}.SH COMMANDS
${commands.map(commandSection).join('')}.SH EXIT STATUS
${EXIT_CODES.map(([code, text]) => `.TP\n.B ${code}\n${roffText(text)}\n`).join('')}.PP
.B status \\-\\-check
exits 0 only when every selected certificate is VALID, otherwise with the code of the worst state:
7 expired, 5 pending, 4 needs attention, 3 backing off or renewal overdue.
.SH ENVIRONMENT
.TP
.B AUTOENROLL_CONFIG
configuration file when
.B \\-\\-config
is not given.
.TP
.B NO_COLOR
when set, logs on a terminal are printed without colours.
.TP
.B HTTPS_PROXY\\fR, \\fBNO_PROXY
proxy for the policy and enrollment servers (also
.B transport.proxy
in the configuration).
.SH FILES
.TP
.I /etc/autoenroll/config.yaml
the configuration (YAML; relative paths are resolved against its folder).
.TP
.I /var/lib/autoenroll
the default state folder: keys, certificates, archived generations, pending requests.
.SH EXAMPLES
.nf
autoenroll config validate
autoenroll doctor
autoenroll enroll \\-\\-wait 300
autoenroll status \\-\\-check
autoenroll service install \\-\\-dry\\-run
source <(autoenroll completion bash)
.fi
.SH SEE ALSO
.BR systemctl (1),
.BR openssl (1)
`;
}
