// `autoenroll completion bash|zsh|fish`: completion scripts made from the command tree (commandTree.ts),
// the same source as --help. Each script walks the words typed so far to find the (sub)command, skips
// option values, then offers that command's subcommands, fixed argument values or options (its own,
// the global ones and --help); an option's value completes as a file, a folder or one of its listed
// choices (`--key rsa:2048|ec:p256…`). No helper library is needed (bash-completion is optional).
import type { CommandInfo, OptionInfo } from './commandTree.js';
import { allCommands, HELP_OPTION } from './commandTree.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Model {
  commands: CommandInfo[];
  globals: OptionInfo[];
  /** Every option that takes a value, by long name (the first definition wins: they agree). */
  valued: Map<string, OptionInfo>;
}

function model(tree: CommandInfo): Model {
  const commands = allCommands(tree);
  const valued = new Map<string, OptionInfo>();
  for (const c of commands) for (const o of c.options) if (o.long && o.value !== undefined && !valued.has(o.long)) valued.set(o.long, o);
  return { commands, globals: tree.options, valued };
}

const key = (c: CommandInfo): string => c.path.join(' ');
const longs = (options: OptionInfo[]): string[] => options.flatMap((o) => [o.long, o.short].filter((x): x is string => x !== undefined));
/** The options offered after a command: its own, then the global ones, then --help. */
const offered = (m: Model, c: CommandInfo): OptionInfo[] => (c.path.length === 0 ? [...c.options, HELP_OPTION] : [...c.options, ...perCommand(m.globals), HELP_OPTION]);
/** The global options that make sense after a command name (--version only stands alone). */
const perCommand = (globals: OptionInfo[]): OptionInfo[] => globals.filter((o) => o.long !== '--version');
const argChoices = (c: CommandInfo): string[] => c.arguments.flatMap((a) => a.choices);
const single = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function byKind(m: Model, kind: OptionInfo['valueKind']): string[] {
  return [...m.valued.values()].filter((o) => o.valueKind === kind && o.choices.length === 0).map((o) => o.long as string);
}
const withChoices = (m: Model): OptionInfo[] => [...m.valued.values()].filter((o) => o.choices.length > 0);

export function completionScript(shell: Shell, tree: CommandInfo): string {
  const m = model(tree);
  if (shell === 'bash') return bash(m, tree.name);
  if (shell === 'zsh') return zsh(m, tree.name);
  return fish(m, tree.name);
}

function bash(m: Model, program: string): string {
  const fn = `_${program}`;
  const cases = m.commands
    .map((c) => `    ${single(key(c))}) subs=${single([...c.commands.map((s) => s.name), ...argChoices(c)].join(' '))}; opts=${single(longs(offered(m, c)).join(' '))} ;;`)
    .join('\n');
  return `# bash completion for ${program} (made by \`${program} completion bash\`; load with: source <(${program} completion bash))
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev= path= subs= opts= i w
  [ "$COMP_CWORD" -gt 0 ] && prev=\${COMP_WORDS[COMP_CWORD-1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case "$w" in
      ${[...m.valued.keys()].join('|')}) ((i++)); continue ;;
      -*) continue ;;
    esac
    ${fn}_at "$path"
    case " $subs " in *" $w "*) path=\${path:+$path }$w ;; esac
  done
  case "$prev" in
    ${byKind(m, 'file').join('|') || '--no-file-option'}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    ${byKind(m, 'dir').join('|') || '--no-dir-option'}) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
${withChoices(m)
  .map((o) => `    ${o.long}) COMPREPLY=($(compgen -W ${single(o.choices.join(' '))} -- "$cur")); return 0 ;;`)
  .join('\n')}
    ${byKind(m, 'word').join('|') || '--no-word-option'}) COMPREPLY=(); return 0 ;;
  esac
  ${fn}_at "$path"
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -W "$subs" -- "$cur")); fi
  return 0
}
${fn}_at() {
  case "$1" in
${cases}
    *) subs=; opts= ;;
  esac
}
complete -o default -F ${fn} ${program}
`;
}

const zshEscape = (text: string): string => text.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

function zsh(m: Model, program: string): string {
  const fn = `_${program}`;
  const item = (name: string, description: string): string => single(`${zshEscape(name)}:${description.replace(/\s+/g, ' ')}`);
  const cases = m.commands
    .map((c) => {
      const subs = [...c.commands.map((s) => item(s.name, s.description)), ...argChoices(c).map((a) => item(a, a))];
      const opts = offered(m, c).flatMap((o) => [o.long, o.short].filter((x): x is string => x !== undefined).map((f) => item(f, o.description)));
      return `    ${single(key(c))}) subs=(${subs.join(' ')}); opts=(${opts.join(' ')}) ;;`;
    })
    .join('\n');
  return `#compdef ${program}
# zsh completion for ${program} (made by \`${program} completion zsh\`; install as _${program} in a folder of $fpath)
${fn}() {
  local cmdpath= w i
  local -a subs opts names
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    case $w in
      (${[...m.valued.keys()].join('|')}) (( i++ )); continue ;;
      (-*) continue ;;
    esac
    ${fn}_at "$cmdpath"
    names=(\${subs%%:*})
    (( \${names[(Ie)$w]} )) && cmdpath=\${cmdpath:+$cmdpath }$w
  done
  case \${words[CURRENT-1]} in
    (${byKind(m, 'file').join('|') || '--no-file-option'}) _files; return ;;
    (${byKind(m, 'dir').join('|') || '--no-dir-option'}) _files -/; return ;;
${withChoices(m)
  .map((o) => `    (${o.long}) compadd -- ${o.choices.map(single).join(' ')}; return ;;`)
  .join('\n')}
    (${byKind(m, 'word').join('|') || '--no-word-option'}) _message 'value'; return ;;
  esac
  ${fn}_at "$cmdpath"
  if [[ $PREFIX == -* ]]; then _describe -t options option opts; else _describe -t commands command subs; fi
}
${fn}_at() {
  case $1 in
${cases}
    (*) subs=(); opts=() ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then ${fn} "$@"; else compdef ${fn} ${program}; fi
`;
}

function fish(m: Model, program: string): string {
  const fn = `__${program}`;
  const lines: string[] = [];
  for (const c of m.commands) {
    const at = `'${fn}_at ${single(key(c)).replace(/'/g, `\\'`)}'`;
    for (const s of c.commands) lines.push(`complete -c ${program} -n ${at} -a ${single(s.name)} -d ${single(s.description)}`);
    if (argChoices(c).length > 0) lines.push(`complete -c ${program} -n ${at} -a ${single(argChoices(c).join(' '))}`);
    for (const o of c.path.length === 0 ? [...c.options, HELP_OPTION] : c.options) {
      const flags = [o.long ? `-l ${o.long.slice(2)}` : '', o.short ? `-s ${o.short.slice(1)}` : ''].filter(Boolean).join(' ');
      const value = o.value === undefined ? '' : o.choices.length > 0 ? ` -x -a ${single(o.choices.join(' '))}` : o.valueKind === 'file' ? ' -r -F' : o.valueKind === 'dir' ? ` -x -a '(__fish_complete_directories)'` : ' -x';
      // Global options (and --help) are offered everywhere, --version only before a command.
      const everywhere = c.path.length === 0 && perCommand([o]).length === 1;
      const condition = everywhere ? '' : ` -n ${at}`;
      lines.push(`complete -c ${program}${condition} ${flags}${value} -d ${single(o.description)}`);
    }
  }
  return `# fish completion for ${program} (made by \`${program} completion fish\`; save as ~/.config/fish/completions/${program}.fish)
function ${fn}_subs
    switch "$argv[1]"
${m.commands.map((c) => `        case ${single(key(c))}\n            printf '%s\\n' ${[...c.commands.map((s) => s.name), ...argChoices(c)].map(single).join(' ') || "''"}`).join('\n')}
    end
end
function ${fn}_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case ${[...m.valued.keys()].join(' ')}
                set skip 1
                continue
            case '-*'
                continue
        end
        if contains -- $t (${fn}_subs "$path")
            set -a path $t
        end
    end
    echo -n "$path"
end
function ${fn}_at
    set -l here (${fn}_path)
    test "$here" = "$argv[1]"
end
complete -c ${program} -f
${lines.join('\n')}
`;
}
