"""The bash, zsh and fish scripts, each written from the registry's specs (commands/completion.py).

Task ids, tags and projects are never in a script: it asks `tasksafe _complete KIND COMMAND WORD`
when the user presses Tab, so they are those of the data file in use at that moment.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Sequence

from commands.completion import PROG, Option, Spec, Values, header, quoted

# --- bash ---

_BASH_HELPERS = r"""
_tasksafe_reply() {  # WORDS CURRENT: the words that start with CURRENT
    local IFS=$' \t\n'
    COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_tasksafe_files() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$1"))
}

_tasksafe_words() {  # KIND COMMAND CURRENT: asks tasksafe itself; ids come as "ID<TAB>NAME"
    local line
    local -a found=()
    while IFS= read -r line; do
        [[ -n $line ]] && found+=("$line")
    done < <(command tasksafe _complete "$1" "$2" "$3" "${_tasksafe_file[@]}" 2>/dev/null)
    COMPREPLY=()
    if [[ $1 != ids ]]; then
        COMPREPLY=("${found[@]}")
    elif (( ${#found[@]} == 1 )); then
        COMPREPLY=("${found[0]%%$'\t'*}")  # one task: its id alone goes on the line
    else
        for line in "${found[@]}"; do  # several: each id with its name beside it in the list
            COMPREPLY+=("${line%%$'\t'*}  ${line#*$'\t'}")
        done
    fi
}
"""

_BASH_WORDS = r"""    local cur prev cmd= i w colon=
    local -a words=()
    # COMP_WORDBREAKS splits `due:today` and `--file=x` into three words: join them back.
    for (( i = 0; i <= COMP_CWORD; i++ )); do
        w=${COMP_WORDS[i]}
        if (( ${#words[@]} > 1 )) && [[ $w == [:=] || ${words[${#words[@]}-1]} == *[:=] ]]; then
            words[${#words[@]}-1]+=$w
        else
            words+=("$w")
        fi
    done
    cur=${words[${#words[@]}-1]}
    prev=${words[${#words[@]}-2]}
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    elif [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        colon=${cur%"${cur##*:}"}  # bash replaces only the part after the last colon
    fi
"""


def bash(specs: Sequence[Spec], globals_: Sequence[Option]) -> str:
    value_globals = [o for o in globals_ if o.values is not None]
    scan = "".join(
        f"                {f}) (( i++ )) ;;\n"
        for o in value_globals
        if "--file" not in o.flags
        for f in o.flags
    )
    names = [n for s in specs for n in s.names]
    cases = "".join(_bash_case(s, globals_) for s in specs)
    lines = [
        header("bash"),
        f"# Install: {PROG} completion bash > ~/.local/share/bash-completion/completions/{PROG}",
        _BASH_HELPERS.rstrip("\n"),
        "",
        f"_{PROG}() {{",
        _BASH_WORDS.rstrip("\n"),
        "    local -a _tasksafe_file=()",
        "    local n=${#words[@]}",
        "    for (( i = 1; i < n - 1; i++ )); do",
        "        w=${words[i]}",
        "        case $w in",
        '            --file) _tasksafe_file=(--file "${words[i+1]}"); (( i++ )); continue ;;',
        '            --file=*) _tasksafe_file=(--file "${w#--file=}"); continue ;;',
        "        esac",
        "        if [[ -z $cmd ]]; then",
        "            case $w in",
        scan.rstrip("\n"),
        "                -*) ;;",
        "                *) cmd=$w ;;",
        "            esac",
        "        fi",
        "    done",
        "    case $prev in",
        _bash_value_cases(value_globals, "", indent=8).rstrip("\n"),
        "    esac",
        "    case $cmd in",
        "        '')",
        "            if [[ $cur == -* ]]; then",
        f'                _tasksafe_reply {shlex.quote(_flags(globals_) + " -h --help")} "$cur"',
        "            else",
        f'                _tasksafe_reply {shlex.quote(" ".join(names))} "$cur"',
        "            fi",
        "            ;;",
        cases.rstrip("\n"),
        "    esac",
        '    if [[ -n $colon ]]; then COMPREPLY=("${COMPREPLY[@]#"$colon"}"); fi',
        "}",
        f"complete -F _{PROG} {PROG}",
        "",
    ]
    return "\n".join(lines)


def _flags(options: Iterable[Option]) -> str:
    return " ".join(f for o in options for f in o.flags)


def _bash_case(spec: Spec, globals_: Sequence[Option]) -> str:
    options = [*spec.options, *(o for o in globals_ if "--version" not in o.flags)]
    pad = " " * 12
    out = [f"        {'|'.join(spec.names)})", f"{pad}case $prev in"]
    out.append(_bash_value_cases([o for o in spec.options if o.values], spec.name, 16).rstrip())
    out += [
        f"{pad}    *)",
        f"{pad}        if [[ $cur == -* ]]; then",
        f'{pad}            _tasksafe_reply {shlex.quote(_flags(options))} "$cur"',
    ]
    if spec.positional is not None and spec.positional.kind:
        out += [
            f"{pad}        else",
            f"{pad}            {_bash_values(spec.positional, spec.name)}",
        ]
    out += [f"{pad}        fi", f"{pad}        ;;", f"{pad}esac", f"{pad};;"]
    return "\n".join(line for line in out if line) + "\n"


def _bash_value_cases(options: Sequence[Option], command: str, indent: int) -> str:
    pad = " " * indent
    return "".join(
        f"{pad}{'|'.join(o.flags)}) {_bash_values(o.values, command)} return ;;\n"
        for o in options
        if o.values is not None
    )


def _bash_values(values: Values | None, command: str) -> str:
    if values is None or not values.kind:
        return ":;"  # free text: nothing to offer
    if values.kind in ("ids", "tags", "projects"):
        return f'_tasksafe_words {values.kind} {command} "$cur";'
    if values.kind == "files":
        return '_tasksafe_files "$cur";'
    reply = f'_tasksafe_reply {shlex.quote(" ".join(values.words))} "$cur";'
    if values.kind == "filters":  # a filter word, or a task id (digits)
        return (
            f'if [[ $cur == [0-9]* ]]; then _tasksafe_words ids {command} "$cur"; else {reply} fi;'
        )
    return reply


# --- zsh ---

_ZSH_HELPERS = r"""
_tasksafe_file() {  # --file PATH as given on the line, so completion reads that list
  local at=${_tasksafe_line[(I)--file]}
  (( at )) && print -r -- --file "${(Q)_tasksafe_line[at+1]}"
}

_tasksafe_words() {  # [_arguments' compadd options] KIND COMMAND: ids (with names), tags, projects
  local kind=${@[-2]} cmd=${@[-1]} line current=
  local -a found file match
  file=(${(f)"$(_tasksafe_file)"})
  # A word that is not digits finds ids by name (as in the REPL): tasksafe matches, zsh takes all.
  [[ $kind == ids && -n $PREFIX && $PREFIX != <-> ]] && current=$PREFIX match=(-U)
  for line in ${(f)"$(command tasksafe _complete $kind $cmd "$current" $file 2>/dev/null)"}; do
    if [[ $kind == ids ]]; then
      found+=("${line%%$'\t'*}:${line#*$'\t'}")
    else
      found+=("${line//:/\\:}")
    fi
  done
  _describe -t $kind ${kind%s} found $match
}

_tasksafe_filters() {  # [_arguments' compadd options] COMMAND: a task id (digits) or a filter word
  if [[ $PREFIX == [0-9]* ]]; then
    _tasksafe_words ids ${@[-1]}
  else
    _describe -t filters filter _tasksafe_filter_words
  fi
}
"""


def _zsh_words(words: Iterable[str]) -> str:
    """Words for _describe, which reads `name:description`: a colon in a name is escaped."""
    return " ".join(shlex.quote(w.replace(":", "\\:")) for w in words)


def zsh(specs: Sequence[Spec], globals_: Sequence[Option]) -> str:
    filter_words = next(
        (s.positional.words for s in specs if s.positional and s.positional.kind == "filters"), ()
    )
    described = [f"{n.replace(':', chr(92) + ':')}:{s.help}" for s in specs for n in s.names]
    global_specs = [x for o in globals_ for x in _zsh_option(o, "")]
    after = [x for o in globals_ if "--version" not in o.flags for x in _zsh_option(o, "")]
    lines = [
        f"#compdef {PROG}",
        header("zsh").rstrip("\n"),
        f'# Install: {PROG} completion zsh > "${{fpath[1]}}/_{PROG}" (any directory of $fpath),',
        "# then start a new zsh (compinit must be on: `autoload -U compinit && compinit`).",
        _ZSH_HELPERS.rstrip("\n"),
        f"_tasksafe_filter_words=({_zsh_words(filter_words)})",
        "",
        f"_{PROG}() {{",
        "  local curcontext=$curcontext state line ret=1",
        "  local -a _tasksafe_line=($words)  # before _arguments shifts the command to words[1]",
        "  local -a commands",
        f"  commands=({' '.join(shlex.quote(d) for d in described)})",
        "  _arguments -C \\",
        *(f"    {shlex.quote(x)} \\" for x in global_specs),
        "    '1:command:->command' \\",
        "    '*::argument:->argument' && ret=0",
        "  case $state in",
        "    command) _describe -t commands 'tasksafe command' commands && ret=0 ;;",
        "    argument)",
        "      curcontext=${curcontext%:*:*}:tasksafe-$words[1]:",
        "      case $words[1] in",
    ]
    for spec in specs:
        args = [x for o in spec.options for x in _zsh_option(o, spec.name)] + after
        if spec.positional is not None:
            args.append(_zsh_positional(spec))
        lines.append(f"        {'|'.join(spec.names)})")
        lines.append("          _arguments \\")
        lines += [f"            {shlex.quote(x)} \\" for x in args]
        lines.append("            && ret=0 ;;")
    lines += ["      esac ;;", "  esac", "  return ret", "}", "", f'_{PROG} "$@"', ""]
    return "\n".join(lines)


def _zsh_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _zsh_option(option: Option, command: str) -> list[str]:
    help = f"[{_zsh_escape(option.help)}]" if option.help else ""
    value = ""
    if option.values is not None:
        value = f":{_zsh_message(option)}:{_zsh_action(option.values, command)}"
    if option.repeats:
        return [f"*{flag}{help}{value}" for flag in option.flags]
    exclusive = f"({' '.join(option.flags)})"
    return [
        f"{exclusive}{flag}{'=' if value and flag.startswith('--') else ''}{help}{value}"
        for flag in option.flags
    ]


def _zsh_message(option: Option) -> str:
    return option.flags[-1].lstrip("-").replace("-", " ")


def _zsh_positional(spec: Spec) -> str:
    assert spec.positional is not None
    action = _zsh_action(spec.positional, spec.name)
    where = {"+": "*", "*": "*", "?": ":"}.get(spec.positional_nargs, "1")
    return f"{where}:{spec.positional_name}:{action}"


def _zsh_action(values: Values, command: str) -> str:
    if values.kind in ("ids", "tags", "projects"):
        return f"_tasksafe_words {values.kind} {command}"
    if values.kind == "files":
        return "_files"
    if values.kind == "filters":  # a filter word, or a task id
        return f"_tasksafe_filters {command}"
    if values.words:
        return f"({' '.join(w.replace(':', chr(92) + ':') for w in values.words)})"
    return " "  # free text: zsh shows the message and offers nothing


# --- fish ---

_FISH_HELPERS = r"""
function __tasksafe_command --description 'the command word: the first that is not an option'
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case --file --lock-timeout
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

function __tasksafe_using --description 'whether the command on the line is one of ARGV'
    contains -- (__tasksafe_command) $argv
end

function __tasksafe_words --description 'KIND: ids (with their names), tags or projects'
    set -l words (commandline -opc)
    set -l file
    if contains -- --file $words
        set -l at (contains -i -- --file $words)
        set file --file $words[(math $at + 1)]
    end
    command tasksafe _complete $argv[1] (__tasksafe_command) '' $file 2>/dev/null
end
"""


def fish(specs: Sequence[Spec], globals_: Sequence[Option]) -> str:
    lines = [
        header("fish").rstrip("\n"),
        f"# Install: {PROG} completion fish > ~/.config/fish/completions/{PROG}.fish",
        _FISH_HELPERS.rstrip("\n"),
        "",
        f"complete -c {PROG} -f",
    ]
    for option in globals_:
        condition = "not __tasksafe_command" if "--version" in option.flags else ""
        lines.append(_fish_option(option, condition, ""))
    for spec in specs:
        for name in spec.names:
            lines.append(
                f"complete -c {PROG} -n 'not __tasksafe_command' -a {_fish_quote(name)}"
                f" -d {_fish_quote(spec.help)}"
            )
    for spec in specs:
        using = f"__tasksafe_using {' '.join(spec.names)}"
        lines += [_fish_option(o, using, spec.name) for o in spec.options]
        if spec.positional is not None and spec.positional.kind:
            values = _fish_values(spec.positional, spec.name)
            lines.append(f"complete -c {PROG} -n {_fish_quote(using)} {values}")
    return "\n".join(lines) + "\n"


def _fish_option(option: Option, condition: str, command: str) -> str:
    parts = [f"complete -c {PROG}"]
    if condition:
        parts.append(f"-n {_fish_quote(condition)}")
    for flag in option.flags:
        parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    if option.values is not None:
        parts.append(_fish_values(option.values, command, option=True))
    if option.help:
        parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def _fish_values(values: Values, command: str, option: bool = False) -> str:
    if values.kind == "files":
        return "-r -F"
    prefix = "-x" if option else "-f"
    if values.kind in ("ids", "tags", "projects"):
        return f"{prefix} -a {_fish_quote(f'(__tasksafe_words {values.kind})')}"
    if values.kind == "filters":  # a filter word, or a task id
        return f"{prefix} -a {_fish_quote('(__tasksafe_words ids) ' + ' '.join(values.words))}"
    if values.words:
        return f"{prefix} -a {_fish_quote(' '.join(values.words))}"
    return prefix


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


GENERATORS: dict[str, Callable[[Sequence[Spec], Sequence[Option]], str]] = {
    "bash": bash,
    "zsh": zsh,
    "fish": fish,
}
__all__ = ["GENERATORS", "bash", "fish", "quoted", "zsh"]
