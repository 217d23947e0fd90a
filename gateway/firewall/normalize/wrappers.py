"""Commands that run another command unchanged: `sudo`, `env`, `timeout`, `nohup`, `xargs`, ….

A wrapper is stripped so that the command fact names the real program: `sudo -u x env A=1
timeout 5 /usr/bin/aws ec2 …` is the command `aws`. Each wrapper's option syntax is known
well enough to find where its command starts. The wrappers are commands too (`nohup` and
`setsid` detach, `torsocks` hides where traffic goes), each recorded with its own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.firewall.normalize import limits
from gateway.firewall.normalize.words import program_name
from gateway.models import PathOp

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class _Wrapper:
    short: str = ""  # short options that take a value
    long: frozenset[str] = frozenset()  # long options that take a value unless `--opt=value`
    positionals: int = 0  # operands before the command, like timeout's DURATION
    assignments: bool = False  # NAME=value words may precede the command (env, sudo)
    no_command: frozenset[str] = frozenset()  # options after which no command follows
    paths: Mapping[str, PathOp] = field(default_factory=dict)  # options naming a file
    numeric: bool = False  # `nice -10` is an option
    split: frozenset[str] = frozenset()  # options whose value is a command line (`env -S`)


def _w(
    short: str = "",
    long: str = "",
    *,
    positionals: int = 0,
    assignments: bool = False,
    no_command: frozenset[str] = frozenset(),
    paths: Mapping[str, PathOp] | None = None,
    numeric: bool = False,
    split: frozenset[str] = frozenset(),
) -> _Wrapper:
    return _Wrapper(
        short,
        frozenset(long.split()),
        positionals,
        assignments,
        no_command,
        paths or {},
        numeric,
        split,
    )


_TIMEOUT = _w("sk", "--signal --kill-after", positionals=1)
WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _w(
        "ugpCDrtTUR",
        "--user --group --prompt --close-from --chdir --role --type --command-timeout "
        "--other-user --host --chroot",
        assignments=True,
        no_command=frozenset({"-l", "--list", "-v", "--validate", "-K", "-V", "--version"}),
    ),
    "doas": _w("uC"),
    "pkexec": _w("", "--user"),
    "env": _w(
        "uCS",
        "--unset --chdir --split-string",
        assignments=True,
        split=frozenset({"-S", "--split-string"}),
    ),
    "timeout": _TIMEOUT,
    "gtimeout": _TIMEOUT,
    "nice": _w("n", "--adjustment", numeric=True),
    "nohup": _w(),
    "time": _w("fo", "--format --output", paths={"-o": "write", "--output": "write"}),
    "command": _w(no_command=frozenset({"-v", "-V"})),
    "builtin": _w(),
    "noglob": _w(),
    "exec": _w("a"),
    "stdbuf": _w("ioe", "--input --output --error"),
    "setsid": _w(),
    "unbuffer": _w(),
    "caffeinate": _w("tw"),
    "ionice": _w("cnt", "--class --classdata", no_command=frozenset({"-p", "--pid"})),
    "taskset": _w(positionals=1, no_command=frozenset({"-p", "--pid"})),
    "chrt": _w(positionals=1, no_command=frozenset({"-p", "--pid"})),
    "chroot": _w("", "--userspec --groups", positionals=1),
    "nsenter": _w("tSG", "--target --setuid --setgid"),
    "unshare": _w(),
    "firejail": _w(),
    "proxychains": _w("f"),
    "proxychains4": _w("f"),
    "torsocks": _w("uapP", "--user --pass --address --port"),
    "tsocks": _w(),
    "trickle": _w("dusLtw"),
    "eatmydata": _w(),
    "nocache": _w(),
    "faketime": _w("", "", positionals=1),
    "busybox": _w(),
    "strace": _w(
        "oepsuEabIXP",
        "--output --expr --attach --string-limit --user --env",
        paths={"-o": "write", "--output": "write"},
    ),
    "ltrace": _w("oepsunEa", "--output", paths={"-o": "write", "--output": "write"}),
    "systemd-run": _w(
        "upDEMH",
        "--unit --property --description --slice --uid --gid --nice --working-directory "
        "--setenv --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive "
        "--on-calendar --timer-property --path-property --socket-property --service-type "
        "--machine --host",
    ),
    "screen": _w("ScehptT", "", no_command=frozenset({"-ls", "-list", "-r", "-x", "-R"})),
    "xargs": _w(
        "aIdEnPLs",
        "--arg-file --delimiter --max-args --max-procs --max-lines --max-chars --process-slot-var",
        paths={"-a": "read", "--arg-file": "read"},
    ),
}


@dataclass(slots=True)
class Unwrapped:
    start: int  # index in argv of the real command (a wrapper with nothing to run is its own)
    paths: list[tuple[str, PathOp]] = field(default_factory=list)  # files the wrappers touch
    split: str | None = None  # `env -S "cmd args"`: a command line to parse, before argv[start:]
    spans: list[tuple[int, int]] = field(default_factory=list)  # each wrapper's own argv slice
    assignments: list[str] = field(default_factory=list)  # `NAME=value` set for the command


def _options(argv: list[str], i: int, spec: _Wrapper, found: Unwrapped) -> int | None:
    """Index after the wrapper's options, or None when the wrapper runs no command."""
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return i + 1
        if spec.assignments and _ASSIGNMENT.match(arg):
            found.assignments.append(arg)
            i += 1
            continue
        if len(arg) < 2 or arg[0] != "-":
            return i
        name, eq, value = arg.partition("=")
        if name in spec.no_command:
            return None
        if arg.startswith("--"):
            if not eq and name in spec.long:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            _note(spec, name, value, found)
        elif not (spec.numeric and arg[1:].isdigit()):
            for j in range(1, len(arg)):
                option = "-" + arg[j]
                if arg[j] in spec.short:
                    value = arg[j + 1 :]
                    if not value:
                        value = argv[i + 1] if i + 1 < len(argv) else ""
                        i += 1
                    _note(spec, option, value, found)
                    break
        i += 1
    return i


def _note(spec: _Wrapper, option: str, value: str, found: Unwrapped) -> None:
    op = spec.paths.get(option)
    if op is not None and value:
        found.paths.append((value, op))
    if option in spec.split:
        found.split = value


def unwrap(argv: list[str]) -> Unwrapped:
    """Find the command inside any wrappers at the front of `argv`."""
    found = Unwrapped(0)
    for _ in range(limits.MAX_WRAPPERS):
        if found.start >= len(argv):
            break
        spec = WRAPPERS.get(program_name(argv[found.start]))
        if spec is None:
            break
        end = _options(argv, found.start + 1, spec, found)
        if found.split is not None:
            found.start = min(end if end is not None else len(argv), len(argv))
            break
        if end is None or end + spec.positionals >= len(argv):
            break
        found.spans.append((found.start, end + spec.positionals))
        found.start = end + spec.positionals
    return found
