"""Files a command reads, writes, executes or deletes, from its argv and its redirections.

Only programs whose operands are known to be files contribute, so `echo /etc/passwd` names
no file while `cat /etc/passwd` reads one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.firewall.normalize.urls import port_number
from gateway.models import PathOp, Url

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_NOT_FILES = frozenset(
    {
        "",
        "-",
        "{}",
        "/dev/null",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/tty",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
    }
)


_NOT_FILE_PREFIXES = ("/dev/fd/", "<(", ">(")  # process substitutions are pipes


def normalize_path(path: str) -> str:
    """A path as rules match it: `$HOME` spelled `~`, `.`/`..`/`//` resolved lexically."""
    for home in ("${HOME}", "$HOME"):
        if path == home or path.startswith(home + "/"):
            path = "~" + path[len(home) :]
    if "/" in path and "://" not in path:
        path = posixpath.normpath(path)
        if path.startswith("//"):
            path = "/" + path.lstrip("/")
    return path


def add(ctx: Context, path: str, op: PathOp) -> None:
    if (
        path in _NOT_FILES
        or path.startswith(_NOT_FILE_PREFIXES)
        or len(path) > 4096
        or "\n" in path
    ):
        return
    if path.startswith(("/dev/tcp/", "/dev/udp/")):  # bash opens a socket, not a file
        parts = path.split("/")
        if len(parts) >= 4 and parts[3]:
            port = port_number(parts[4]) if len(parts) >= 5 else None
            ctx.facts.url(Url("", scheme=parts[2], host=parts[3].lower(), path="", port=port))
    ctx.facts.path(normalize_path(path), op)


def redirect(ctx: Context, target: str, operator: str) -> None:
    """`> f`, `>> f`, `&> f` write; `< f` reads; `<> f` does both."""
    if "<" in operator:
        add(ctx, target, "read")
    if ">" in operator:
        add(ctx, target, "write")


@dataclass(frozen=True, slots=True)
class _Spec:
    op: PathOp  # what the program does to its operands
    last: PathOp | None = None  # what it does to the last of two or more (cp's destination)
    skip: int = 0  # leading operands that are not files (grep's pattern, chmod's mode)
    short: str = ""  # short options that take a value
    long: frozenset[str] = frozenset()  # long options that take a value unless `--opt=value`
    options: Mapping[str, PathOp] = field(default_factory=dict)  # options whose value is a file
    also: PathOp | None = None  # a second access to every operand but the last (mv deletes)


def _s(
    op: PathOp,
    short: str = "",
    long: str = "",
    *,
    last: PathOp | None = None,
    skip: int = 0,
    options: Mapping[str, PathOp] | None = None,
    also: PathOp | None = None,
) -> _Spec:
    return _Spec(op, last, skip, short, frozenset(long.split()), options or {}, also)


# fmt: off
# Programs that read their operands' content. Those that only look at names and metadata
# (`ls`, `stat`, `du`, `file`, `realpath`) read nothing a policy cares about and name no path.
_READERS = ("cat", "tac", "less", "more", "nl", "strings", "wc", "uniq", "md5sum", "sha1sum",
            "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "cksum", "base32",
            "diff", "cmp", "zcat", "bzcat", "xzcat", "zless", "hexdump")
SPECS: dict[str, _Spec] = {
    **{name: _s("read") for name in _READERS},
    "head": _s("read", "nc", "--lines --bytes"),
    "tail": _s("read", "ncs", "--lines --bytes --sleep-interval --pid"),
    "od": _s("read", "AjNtw"),
    "xxd": _s("read", "clsgo"),
    "sort": _s("read", "kotST", "--key --output --field-separator --temporary-directory",
               options={"-o": "write", "--output": "write"}),
    "cut": _s("read", "dfcb", "--delimiter --fields --characters --bytes"),
    "paste": _s("read", "d", "--delimiters"),
    "base64": _s("read", "w", "--wrap"),
    "pv": _s("read", "LsNiwHBdF", "--rate-limit --size --name --interval --width --height "
             "--buffer-size --watchfd --format --delay-start --pidfile --output",
             options={"-o": "write", "--output": "write"}),
    "shasum": _s("read", "a", "--algorithm"),
    "jq": _s("read", "", "--arg --argjson --slurpfile --rawfile --indent", skip=1),
    "crontab": _s("read", "u"),
    "tee": _s("write"),
    "touch": _s("write", "drt", "--date --reference"),
    "mkdir": _s("write", "m", "--mode"),
    "truncate": _s("write", "sr", "--size --reference"),
    "vi": _s("write"), "vim": _s("write"), "nano": _s("write"), "emacs": _s("write"),
    "rm": _s("delete"),
    "srm": _s("delete"),
    "wipe": _s("delete"),
    "split": _s("read", "abCdlnt", "--bytes --lines --line-bytes --number --suffix-length "
                "--additional-suffix --separator", last="write"),
    "rmdir": _s("delete"),
    "unlink": _s("delete"),
    "shred": _s("delete", "ns", "--iterations --size"),
    "chmod": _s("write", "", "--reference", skip=1),
    "chown": _s("write", "", "--reference --from", skip=1),
    "chgrp": _s("write", "", "--reference", skip=1),
    "chattr": _s("write", "", "", skip=1),
    "cp": _s("read", "St", "--suffix --target-directory", last="write",
             options={"-t": "write", "--target-directory": "write"}),
    "mv": _s("read", "St", "--suffix --target-directory", last="write", also="delete",
             options={"-t": "write", "--target-directory": "write"}),
    "install": _s("read", "mogSt", "--mode --owner --group --suffix --target-directory",
                  last="write"),
    "ln": _s("read", "St", "--suffix --target-directory", last="write"),
    "scp": _s("read", "cFiJlopPSoD", "", last="write", options={"-i": "read", "-F": "read"}),
    "rsync": _s("read", "eBfT", "--rsh --exclude --include --filter --partial-dir --rsync-path "
                "--exclude-from --include-from --files-from", last="write"),
    "unzip": _s("read", "dxP", "", options={"-d": "write"}),
    "ssh-copy-id": _s("read", "ipoF", "", options={"-i": "read"}),
}
# fmt: on
_GREPS = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep"})
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk"})
_REMOTE_COPY = frozenset({"scp", "rsync"})
_ZIP = _s("write", "sbntxiPOZ", "--split-size --temp-path --suffixes --exclude --include")


def _operands(argv: list[str], spec: _Spec) -> tuple[list[str], list[tuple[str, PathOp]]]:
    operands: list[str] = []
    valued: list[tuple[str, PathOp]] = []
    i = 1
    literal = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if literal or arg == "-" or not arg.startswith("-"):
            operands.append(arg)
        elif arg == "--":
            literal = True
        elif arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if not eq and name in spec.long and i < len(argv):
                value = argv[i]
                i += 1
            if name in spec.options and value:
                valued.append((value, spec.options[name]))
        else:
            for j in range(1, len(arg)):
                if arg[j] in spec.short:
                    value = arg[j + 1 :]
                    if not value and i < len(argv):
                        value = argv[i]
                        i += 1
                    op = spec.options.get("-" + arg[j])
                    if op is not None and value:
                        valued.append((value, op))
                    break
    return operands, valued


def _remote(ctx: Context, operand: str) -> bool:
    """`user@host:path` in scp and rsync names another machine, not a local file."""
    head, colon, _ = operand.partition(":")
    if not colon or "/" in head or not head:
        return False
    host = head.rpartition("@")[2].lower()
    ctx.facts.url(Url(method="", scheme="ssh", host=host, path=""))
    return True


def _special(program: str, argv: list[str]) -> _Spec | list[tuple[str, PathOp]] | None:
    if program in _GREPS:
        explicit = any(a.startswith(("-e", "-f", "--regexp", "--file")) for a in argv[1:])
        return _s(
            "read",
            "ABCmdDeEf",
            "--regexp --file --max-count --context",
            skip=0 if explicit else 1,
            options={"-f": "read", "--file": "read"},
        )
    if program in _AWKS:
        explicit = any(a.startswith(("-f", "--file")) for a in argv[1:])
        return _s(
            "read",
            "Fvf",
            "--field-separator --assign --file",
            skip=0 if explicit else 1,
            options={"-f": "read", "--file": "read"},
        )
    if program == "sed":
        explicit = any(a.startswith(("-e", "-f", "--expression", "--file")) for a in argv[1:])
        in_place = any(a.startswith("-i") or a.startswith("--in-place") for a in argv[1:])
        return _s(
            "write" if in_place else "read",
            "ef",
            "--expression --file",
            skip=0 if explicit else 1,
            options={"-f": "read", "--file": "read"},
        )
    if program == "dd":
        found: list[tuple[str, PathOp]] = []
        for arg in argv[1:]:
            if arg.startswith("if="):
                found.append((arg[3:], "read"))
            elif arg.startswith("of="):
                found.append((arg[3:], "write"))
        return found
    if program == "zip":  # the archive is written, the files after it are read
        operands, _ = _operands(argv, _ZIP)
        return [(o, "write" if i == 0 else "read") for i, o in enumerate(operands)]
    if program in ("tar", "bsdtar", "gtar"):
        return _tar(argv)
    return SPECS.get(program)


def _tar(argv: list[str]) -> list[tuple[str, PathOp]]:
    letters = ""
    archive = ""
    operands: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("--"):
            name, _, value = arg.partition("=")
            if name == "--file":
                archive = value
            elif name in ("--create", "--append", "--update"):
                letters += "c"
            elif name in ("--extract", "--get"):
                letters += "x"
        elif arg.startswith("-") or (i == 2 and arg.isalpha()):
            letters += arg.lstrip("-")
            if "f" in arg and i < len(argv):
                archive = argv[i]
                i += 1
        else:
            operands.append(arg)
    creating = any(c in letters for c in "cru")
    found: list[tuple[str, PathOp]] = [(archive, "write" if creating else "read")]
    found += [(o, "read" if creating else "write") for o in operands if "x" in letters or creating]
    return found


def from_argv(ctx: Context, program: str, argv: list[str]) -> None:
    """Record the files `program` touches, if its argv conventions are known."""
    spec = _special(program, argv)
    if spec is None:
        return
    if isinstance(spec, list):
        for path, op in spec:
            add(ctx, path, op)
        return
    operands, valued = _operands(argv, spec)
    for path, op in valued:
        add(ctx, path, op)
    operands = operands[spec.skip :]
    # `cp -t DIR a b`: the destination is the option's value, so every operand is a source.
    targeted = any(op == "write" for _, op in valued)
    last = spec.last if len(operands) >= 2 and not targeted else None
    for index, operand in enumerate(operands):
        if program in _REMOTE_COPY and _remote(ctx, operand):
            continue
        is_last = last is not None and index == len(operands) - 1
        add(ctx, operand, last if is_last and last is not None else spec.op)
        if spec.also is not None and not is_last:
            add(ctx, operand, spec.also)
