// The command line as data, read from the same commander program that prints --help: the shell
// completions and the man page are made from it, so none of them can drift from the help text.
import type { Command, Option } from 'commander';

export interface OptionInfo {
  /** As written in the help: "--id <id>", "-V, --version". */
  flags: string;
  long: string | undefined;
  short: string | undefined;
  /** The value's placeholder ("id", "dir", "response.xml"), or undefined for a switch. */
  value: string | undefined;
  description: string;
  /** What the shell should offer for the value. */
  valueKind: 'file' | 'dir' | 'word' | 'none';
  /** Fixed choices, when the description lists them as a|b|c. */
  choices: string[];
}

export interface ArgumentInfo {
  name: string;
  required: boolean;
  choices: string[];
}

export interface CommandInfo {
  /** Words after "autoenroll": [] for the program, ["service", "install"] for a subcommand. */
  path: string[];
  name: string;
  description: string;
  options: OptionInfo[];
  arguments: ArgumentInfo[];
  commands: CommandInfo[];
  /** Whether the command does something itself (`lab`) or only holds subcommands (`service`). */
  runnable: boolean;
}

const DIR_VALUES = new Set(['dir', 'directory', 'folder']);
const FILE_VALUES = new Set(['path', 'file', 'pem', 'response.xml']);

export const HELP_OPTION: OptionInfo = {
  flags: '-h, --help',
  long: '--help',
  short: '-h',
  value: undefined,
  description: 'display help for the command',
  valueKind: 'none',
  choices: [],
};

function optionInfo(option: Option): OptionInfo {
  const match = /[<[]([^>\]]+)[>\]]/.exec(option.flags);
  const value = match?.[1];
  const listed = /\b([a-z0-9]+(?::[a-z0-9]+)?(?:\|[a-z0-9]+(?::[a-z0-9]+)?)+)\b/.exec(option.description);
  const choices = option.argChoices ?? (value !== undefined && listed ? (listed[1] as string).split('|') : []);
  const valueKind = value === undefined ? 'none' : DIR_VALUES.has(value) ? 'dir' : FILE_VALUES.has(value) ? 'file' : 'word';
  return { flags: option.flags, long: option.long, short: option.short, value, description: option.description, valueKind, choices };
}

/** The visible commands, options and arguments under `command` (hidden ones are left out, as in --help). */
export function commandTree(command: Command, path: string[] = []): CommandInfo {
  const options = command.options.filter((o) => !o.hidden).map(optionInfo);
  const args = command.registeredArguments.map((a) => ({ name: a.name(), required: a.required, choices: a.argChoices ?? [] }));
  const commands = command.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .map((c) => commandTree(c, [...path, c.name()]));
  const runnable = Boolean((command as unknown as { _actionHandler?: unknown })._actionHandler);
  return { path, name: command.name(), description: command.description(), options, arguments: args, commands, runnable };
}

/** Every command in the tree, depth first, the program itself included. */
export function allCommands(tree: CommandInfo): CommandInfo[] {
  return [tree, ...tree.commands.flatMap(allCommands)];
}

/** The usage line of a command: "autoenroll service install [options]", "autoenroll lab approve <requestId>". */
export function usageLine(program: string, info: CommandInfo): string {
  const words = [program, ...info.path];
  if (info.options.length > 0) words.push('[options]');
  if (info.commands.length > 0 && info.path.length === 0) words.push('<command>');
  else if (info.commands.length > 0) words.push(info.runnable ? '[command]' : '<command>');
  for (const a of info.arguments) words.push(a.required ? `<${a.name}>` : `[${a.name}]`);
  return words.join(' ');
}
