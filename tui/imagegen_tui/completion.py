"""`imagegen-tui completion bash|zsh|fish`: shell completion scripts made from the real parser.

The parser is walked once (`commands`) into what each command level offers: subcommands,
options, and what an option's value or a positional argument completes to. Each shell's script
is that table plus a few lines of the shell's own. Values argparse leaves to the request's
checks (--quality, --format …: their messages name the model) come from the constants those
checks use. Profile and style names are asked of the program itself when completed
(PROFILES_COMMAND, STYLES_COMMAND, which load only the config), so that they follow the config
file.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from imagegen_tui.cli import PROFILES_COMMAND, STYLES_COMMAND

PROGRAM = "imagegen-tui"
# what a value completes to; None is a value nothing can guess (a prompt, a number)
FILES, DIRS, PROFILES, STYLES = "files", "dirs", "profiles", "styles"


@dataclass(frozen=True)
class Values:
    kind: str | None = None  # FILES, DIRS, PROFILES, STYLES, or None (choices, when there are any)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    strings: tuple[str, ...]  # "--quality", "-q"
    help: str
    values: Values | None  # None: a flag
    repeats: bool = False


@dataclass
class Command:
    path: tuple[str, ...]  # () is the program itself
    subcommands: dict[str, str] = field(default_factory=dict)  # name: help
    options: list[Option] = field(default_factory=list)
    positionals: list[tuple[str, Values]] = field(default_factory=list)  # name, what it completes to
    more: bool = False  # the last positional takes several words

    @property
    def key(self) -> str:
        return " ".join(self.path)


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """Every command level of `parser`, the program itself first."""
    known = _known_values()
    found: list[Command] = []

    def walk(p: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        command = Command(path)
        found.append(command)
        nested: list[tuple[str, argparse.ArgumentParser]] = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
                for name, sub in action.choices.items():
                    command.subcommands[name] = _plain(helps.get(name, ""))
                    nested.append((name, sub))
            elif action.option_strings:
                takes = action.nargs != 0
                repeats = isinstance(action, argparse._AppendAction)
                command.options.append(Option(tuple(action.option_strings), _plain(action.help), _values(action, known) if takes else None, repeats))
            else:
                command.positionals.append((action.metavar or action.dest, _values(action, known)))
                command.more = action.nargs in ("+", "*", argparse.REMAINDER)
        for name, sub in nested:
            walk(sub, (*path, name))

    walk(parser, ())
    return found


def _known_values() -> dict[str, tuple[str, ...]]:
    """The values the request's checks know for options argparse does not check, by dest."""
    from imagegen_tui import models
    from imagegen_tui.config import GRAPHICS
    from imagegen_tui.dialects import DIALECTS

    known_models = ("gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2")
    caps = [models.caps_for_model(model) for model in known_models]
    return {
        "size": tuple(dict.fromkeys(size for c in caps for size in c.sizes)),
        "quality": tuple(dict.fromkeys(quality for c in caps for quality in c.qualities)),
        "background": models.BACKGROUNDS,
        "output_format": models.FORMATS,
        "moderation": models.MODERATIONS,
        "input_fidelity": models.INPUT_FIDELITIES,
        "graphics": GRAPHICS,
        "dialect": tuple(DIALECTS),
    }


def _values(action: argparse.Action, known: dict[str, tuple[str, ...]]) -> Values:
    if action.choices is not None:
        return Values(choices=tuple(map(str, action.choices)))
    if action.dest in known:
        return Values(choices=known[action.dest])
    if action.dest == "profile":
        return Values(PROFILES)
    if action.dest == "styles":
        return Values(STYLES)
    return Values({"FILE": FILES, "PATH": FILES, "DIR": DIRS}.get(str(action.metavar)))


def _plain(help_text: str | None) -> str:
    """argparse's help as shown: one line, its %% formatting undone."""
    return " ".join((help_text or "").replace("%%", "%").split())


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return _WRITERS[shell](commands(parser))


# --- bash -------------------------------------------------------------------------------------
# One function walks the words typed so far into the command path (options that take a value
# skip their value; `--` ends the options), then completes the current word from the tables.


def _bash(found: list[Command]) -> str:
    def cases(rows: Iterator[tuple[list[str], str]]) -> str:
        return "\n".join(f"        {'|'.join(keys)}) echo {shlex.quote(value)} ;;" for keys, value in rows)

    def subcommands() -> Iterator[tuple[list[str], str]]:
        for c in found:
            if c.subcommands:
                yield [shlex.quote(c.key)], " ".join(c.subcommands)

    def options() -> Iterator[tuple[list[str], str]]:
        for c in found:
            yield [shlex.quote(c.key)], " ".join(s for o in c.options for s in o.strings)

    def values() -> Iterator[tuple[list[str], str]]:
        for c in found:
            for o in c.options:
                if o.values is not None:
                    yield [shlex.quote(f"{c.key} {s}") for s in o.strings], _bash_values(o.values)
            for index, (_, v) in enumerate(c.positionals, 1):
                several = c.more and index == len(c.positionals)  # it and every word after it
                yield [shlex.quote(f"{c.key} #") + ("*" if several else str(index))], _bash_values(v)

    return _BASH.format(program=PROGRAM, profiles=PROFILES_COMMAND, styles=STYLES_COMMAND, subcommands=cases(subcommands()), options=cases(options()), values=cases(values()))


def _bash_values(values: Values) -> str:
    return values.kind or ("choices " + " ".join(values.choices) if values.choices else "any")


_BASH = """\
# bash completion for {program}, made by `{program} completion bash`
# what a command level offers: its subcommands, its options, what a value completes to
_imagegen_tui_subcommands() {{
    case "$1" in
{subcommands}
    esac
}}
_imagegen_tui_options() {{
    case "$1" in
{options}
    esac
}}
_imagegen_tui_values() {{  # $1: "LEVEL OPTION", or "LEVEL #N" for its Nth positional argument
    case "$1" in
{values}
    esac
}}

_imagegen_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    [[ $cur == "=" ]] && cur=""  # '=' breaks words in bash: --quality=hi arrives as --quality, =, hi
    local level="" positional=0 config="" options_end="" pending="" word kind i=1
    while ((i < COMP_CWORD)); do
        word="${{COMP_WORDS[i]}}"
        if [[ -z $options_end && $word == -- ]]; then
            options_end=1
        elif [[ -z $options_end && $word == -* ]]; then
            if [[ -n $(_imagegen_tui_values "$level $word") ]]; then  # its value is the next word
                [[ ${{COMP_WORDS[i+1]}} == "=" ]] && i=$((i+1))
                if ((i + 1 >= COMP_CWORD)); then pending=$word; break; fi
                i=$((i+1))
                [[ -z $level && $word == --config ]] && config="${{COMP_WORDS[i]}}"
            fi
        elif ((positional == 0)) && [[ " $(_imagegen_tui_subcommands "$level") " == *" $word "* ]]; then
            level="${{level:+$level }}$word"
        else
            positional=$((positional+1))
        fi
        i=$((i+1))
    done
    if [[ -n $pending ]]; then
        kind=$(_imagegen_tui_values "$level $pending")
    elif [[ -z $options_end && $cur == -* ]]; then
        kind="choices $(_imagegen_tui_options "$level")"
    elif ((positional == 0)) && [[ -n $(_imagegen_tui_subcommands "$level") ]]; then
        kind="choices $(_imagegen_tui_subcommands "$level")"
    else
        kind=$(_imagegen_tui_values "$level #$((positional+1))")
    fi
    case "$kind" in
        choices*) COMPREPLY=($(compgen -W "${{kind#choices }}" -- "$cur")) ;;
        files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        profiles) COMPREPLY=($(compgen -W "$("${{COMP_WORDS[0]}}" {profiles} ${{config:+--config "$config"}} 2>/dev/null)" -- "$cur")) ;;
        styles) COMPREPLY=($(compgen -W "$("${{COMP_WORDS[0]}}" {styles} ${{config:+--config "$config"}} 2>/dev/null)" -- "$cur")) ;;
        *) COMPREPLY=() ;;
    esac
}}
complete -F _imagegen_tui {program}
"""


# --- zsh --------------------------------------------------------------------------------------
# One function per command level, each an _arguments spec; a level with subcommands hands the
# rest of the line to the chosen one's function, as zsh's own completions do.


def _zsh(found: list[Command]) -> str:
    functions = [_zsh_function(c) for c in found]
    return _ZSH_HEAD.format(program=PROGRAM, profiles=PROFILES_COMMAND, styles=STYLES_COMMAND) + "\n".join(functions) + _ZSH_TAIL


def _zsh_name(command: Command) -> str:
    return "_imagegen_tui" + "".join("_" + re.sub(r"\W", "_", part) for part in command.path)


def _zsh_function(command: Command) -> str:
    specs = [_zsh_option(o) for o in command.options]
    for index, (name, values) in enumerate(command.positionals, 1):
        where = "*" if command.more and index == len(command.positionals) else str(index)
        specs.append(_q(f"{where}:{_zsh_message(name)}:{_zsh_action(values)}"))
    lines = [f"{_zsh_name(command)}() {{"]
    if command.subcommands:
        specs += [_q("1:command:->command"), _q("*::argument:->argument")]
        lines += ["    local curcontext=$curcontext state line ret=1", "    typeset -A opt_args"]
        if not command.path:  # seen by the functions called from here (zsh scopes dynamically)
            lines.append("    local _imagegen_tui_program=${words[1]} _imagegen_tui_config_file=")
        lines.append("    _arguments -C -s \\\n        " + " \\\n        ".join(specs) + " && ret=0")
        if not command.path:
            lines.append("    [[ -n ${opt_args[--config]} ]] && _imagegen_tui_config_file=${opt_args[--config]}")
        described = " ".join(_q(f"{_zsh_escape_name(name)}:{help_text}") for name, help_text in command.subcommands.items())
        lines += [
            "    case $state in",
            f"        command) local -a commands=({described}); _describe -t commands command commands && ret=0 ;;",
            "        argument) case $line[1] in",
        ]
        lines += [f"            {shlex.quote(name)}) {_zsh_name(Command((*command.path, name)))} && ret=0 ;;" for name in command.subcommands]
        lines += ["        esac ;;", "    esac", "    return ret", "}"]
    else:
        lines.append("    _arguments -s \\\n        " + " \\\n        ".join(specs) if specs else "    _arguments -s")
        lines.append("}")
    return "\n".join(lines)


def _zsh_option(option: Option) -> str:
    longs = [s for s in option.strings if s.startswith("--")]
    shorts = [s for s in option.strings if not s.startswith("--")]
    forms = [s + ("=" if option.values else "") for s in longs] + [s + ("+" if option.values else "") for s in shorts]
    exclude = "" if option.repeats else "(" + " ".join(option.strings) + ")"
    if option.strings[0] in ("-h", "--help", "--version"):
        exclude = "(- *)"  # alone on the line
    repeat = "*" if option.repeats else ""
    tail = f"[{_zsh_escape_help(option.help)}]"
    if option.values is not None:
        tail += f":{_zsh_message(max(option.strings, key=len).lstrip('-'))}:{_zsh_action(option.values)}"
    if len(forms) == 1:
        return _q(f"{exclude}{repeat}{forms[0]}{tail}")
    return _q(exclude + repeat) + "{" + ",".join(forms) + "}" + _q(tail)


def _zsh_action(values: Values) -> str:
    if values.kind == FILES:
        return "_files"
    if values.kind == DIRS:
        return "_files -/"
    if values.kind == PROFILES:
        return "_imagegen_tui_profiles"
    if values.kind == STYLES:
        return "_imagegen_tui_styles"
    if values.choices:
        return "(" + " ".join(values.choices) + ")"
    return " "


def _zsh_escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def _zsh_escape_name(text: str) -> str:
    return text.replace(":", "\\:")


def _zsh_message(name: str) -> str:
    return name.replace(":", " ").replace("|", " or ")


def _q(text: str) -> str:
    """One zsh word in single quotes."""
    return "'" + text.replace("'", "'\\''") + "'"


# as a file in $fpath (autoloaded, run at each completion) or sourced after compinit
_ZSH_TAIL = """
if [[ $funcstack[1] == _imagegen-tui ]]; then
    _imagegen_tui "$@"
else
    compdef _imagegen_tui imagegen-tui
fi
"""

_ZSH_HEAD = """\
#compdef {program}
# zsh completion for {program}, made by `{program} completion zsh`

_imagegen_tui_profiles() {{
    local -a profiles
    profiles=(${{(f)"$(${{~_imagegen_tui_program}} {profiles} ${{_imagegen_tui_config_file:+--config}} ${{~_imagegen_tui_config_file}} 2>/dev/null)"}})
    _describe -t profiles profile profiles
}}

_imagegen_tui_styles() {{
    local -a styles
    styles=(${{(f)"$(${{~_imagegen_tui_program}} {styles} ${{_imagegen_tui_config_file:+--config}} ${{~_imagegen_tui_config_file}} 2>/dev/null)"}})
    _describe -t styles style styles
}}
"""


# --- fish -------------------------------------------------------------------------------------
# A condition function tells at which command level the line is and how many positional
# arguments it has; each option, subcommand and positional is one `complete` line under it.


def _fish(found: list[Command]) -> str:
    takes = [f"{c.key} {s}".strip() for c in found for o in c.options if o.values is not None for s in o.strings]
    levels = [c.key for c in found if c.path]
    lines = [_FISH_HEAD.format(program=PROGRAM, profiles=PROFILES_COMMAND, styles=STYLES_COMMAND, takes=" ".join(_fq(t) for t in takes), levels=" ".join(_fq(k) for k in levels))]
    for c in found:
        at = f"__imagegen_tui_at {_fq(c.key)}"
        for name, help_text in c.subcommands.items():
            lines.append(f"complete -c {PROGRAM} -n {_fq(at + ' 0')} -a {_fq(name)} -d {_fq(help_text)}")
        for o in c.options:
            flags = " ".join(f"-l {s[2:]}" if s.startswith("--") else f"-s {s[1:]}" for s in o.strings)
            described = f" -d {_fq(o.help)}" if o.help else ""
            lines.append(f"complete -c {PROGRAM} -n {_fq(at)} {flags}{_fish_values(o.values)}{described}")
        for index, (_, values) in enumerate(c.positionals):
            count = "" if c.more and index == len(c.positionals) - 1 else f" {index}"
            if words := _fish_words(values):
                lines.append(f"complete -c {PROGRAM} -n {_fq(at + count)} {words}")
    return "\n".join(lines) + "\n"


def _fish_values(values: Values | None) -> str:
    """An option's: a flag, a file (-F), or an exclusive list (-x, which is also none at all)."""
    if values is None:
        return ""
    if values.kind == FILES:
        return " -r -F"
    return " -x" + (" " + words if (words := _fish_words(values)) else "")


def _fish_words(values: Values) -> str:
    """The words a value completes to, for -a (files: -F)."""
    if values.kind == FILES:
        return "-F"
    if values.kind == DIRS:
        return "-a '(__fish_complete_directories (commandline -ct) \"\")'"
    if values.kind == PROFILES:
        return "-a '(__imagegen_tui_profiles)'"
    if values.kind == STYLES:
        return "-a '(__imagegen_tui_styles)'"
    return f"-a {_fq(' '.join(values.choices))}" if values.choices else ""


def _fq(text: str) -> str:
    """One fish word in single quotes (fish escapes only \\ and ' inside them)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


_FISH_HEAD = """\
# fish completion for {program}, made by `{program} completion fish`
complete -c {program} -f

function __imagegen_tui_walk --description 'the command level typed so far, its positional count, the --config given'
    set -l takes {takes}
    set -l levels {levels}
    set -l words (commandline -opc)
    set -l path ''
    set -l positional 0
    set -l config ''
    set -l skip ''
    set -l options_end ''
    for word in $words[2..-1]
        if test -n "$skip"
            test "$skip" = config; and set config $word
            set skip ''
        else if test -z "$options_end"; and test "$word" = --
            set options_end 1
        else if test -z "$options_end"; and string match -q -- '-*' $word
            if contains -- (string trim -- "$path $word") $takes
                set skip 1
                test -z "$path"; and test "$word" = --config; and set skip config
            end
        else if test $positional -eq 0; and contains -- (string trim -- "$path $word") $levels
            set path (string trim -- "$path $word")
        else
            set positional (math $positional + 1)
        end
    end
    printf '%s\\n' "$path" $positional "$config"
end

function __imagegen_tui_at --description 'at this command level (with this many positional arguments)?'
    set -l found (__imagegen_tui_walk)
    test "$found[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; or test "$found[2]" = "$argv[2]"
end

function __imagegen_tui_names --description 'what the hidden command $argv[1] prints, with the --config given'
    set -l found (__imagegen_tui_walk)
    set -l program (commandline -opc)[1]
    if test -n "$found[3]"
        $program $argv[1] --config $found[3] 2>/dev/null
    else
        $program $argv[1] 2>/dev/null
    end
end

function __imagegen_tui_profiles
    __imagegen_tui_names {profiles}
end

function __imagegen_tui_styles
    __imagegen_tui_names {styles}
end
"""

_WRITERS: dict[str, Callable[[list[Command]], str]] = {"bash": _bash, "zsh": _zsh, "fish": _fish}


def print_names(kind: str, argv: list[str]) -> int:
    """PROFILES_COMMAND or STYLES_COMMAND [--config PATH]: the profile or style names (`kind`),
    one a line, for a completion; a name a shell word cannot carry as it is (a space, a control
    character) is left out. Says nothing whatever goes wrong: a TAB press must not print errors
    into the command line."""
    from pathlib import Path

    from imagegen_tui.config import load_config

    try:
        config = load_config(Path(argv[1]).expanduser() if argv[:1] == ["--config"] and len(argv) > 1 else None)
        names = config.styles if kind == STYLES else config.profiles
        print("\n".join(name for name in names if name.isprintable() and not any(c.isspace() for c in name)))
    except Exception:
        pass
    return 0
