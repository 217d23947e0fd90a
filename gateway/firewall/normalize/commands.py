"""One simple command: strip its wrappers, record it, and follow whatever it runs.

Interpreters hand their payload back to the context (`sh -c`, `bash` reading a heredoc,
`eval`, `ssh host '…'`, `python -c`, `find -exec`, `watch`), HTTP clients yield URLs, and
file utilities yield paths. Programs that only print or search text (`echo`, `grep`) are
recorded as commands but their arguments are never read as commands or URLs.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from typing import TYPE_CHECKING

from gateway.firewall.normalize import (
    containers,
    files,
    http_clients,
    network,
    schedules,
    scripts,
    streams,
    transfers,
)
from gateway.firewall.normalize.facts import (
    DYNAMIC_PROGRAM,
    ESCAPED_PROGRAM_NAME,
    SUBSTITUTED_PROGRAM,
    VARIABLE_PROGRAM,
)
from gateway.firewall.normalize.urls import has_scheme, parse_url
from gateway.firewall.normalize.words import (
    BASE64,
    ENCODINGS,
    REMOTE,
    SUBSTITUTION,
    VARIABLE,
    Word,
    program_name,
    spaced,
)
from gateway.firewall.normalize.wrappers import unwrap

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context, Scope

# fmt: off
MENTIONS = frozenset({
    "echo", "printf", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack", "logger", "wall",
    "notify-send", "cowsay", "figlet", "banner", "toilet", ":", "true", "false", "test", "[",
    "expr", "man", "tldr", "which", "type", "whatis", "apropos", "help", "info", "whereis",
    "hash", "alias", "unalias", "read", "set", "shopt", "history"
})
# fmt: on
_MESSAGE_OPTIONS = frozenset(
    {
        "-m",
        "--message",
        "--body",
        "--title",
        "--description",
        "--subject",
        "--comment",
        "--notes",
        "--msg",
    }
)  # fmt: skip
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "rbash", "csh",
                     "tcsh", "yash", "posh"})  # fmt: skip
_PYTHON = re.compile(r"(?:python|pypy)[0-9.]*")
_PS_VALUED = frozenset({"-executionpolicy", "-ep", "-windowstyle", "-w", "-outputformat",
                        "-inputformat", "-configurationname", "-workingdirectory",
                        "-wd"})  # fmt: skip


def _shell(ctx: Context, words: list[Word], stdin: Word | None) -> None:
    argv = [w.text for w in words]
    i = 1
    inline = from_stdin = False
    while i < len(argv):
        arg = argv[i]
        if arg in ("--", "-"):
            i += 1
            break
        if arg in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
        elif arg.startswith("--"):
            i += 1
        elif arg[:1] in "-+" and len(arg) > 1:
            inline = inline or (arg[0] == "-" and "c" in arg[1:])
            from_stdin = from_stdin or "s" in arg[1:]
            i += 1
        else:
            break
    if inline:
        if i < len(argv):
            ctx.payload(words[i], "shell")
    elif i < len(argv) and not from_stdin:
        _script(ctx, words[i], "shell")
    elif stdin is not None:
        ctx.payload(stdin, "shell")


def _script(ctx: Context, word: Word, interpreter: str) -> None:
    """A script file for an interpreter: `bash x.sh` executes x.sh, `bash <(curl …)` the web."""
    if word.origin == REMOTE:
        ctx.facts.flag(f"{REMOTE}_to_{interpreter}")
    elif word.static:
        files.add(ctx, word.text, "exec")
        _written_script(ctx, word.text, interpreter)


def _written_script(ctx: Context, path: str, interpreter: str | None) -> None:
    """A script this same call wrote before running it: its content is what runs (run
    directly, its `#!` line names the interpreter)."""
    content = ctx.facts.recall(files.normalize_path(path))
    if content is None:
        return
    if interpreter is None:
        shebang = content.text.split("\n", 1)[0] if content.text.startswith("#!") else ""
        interpreter = "python" if "python" in shebang else "shell"
    ctx.payload(content, interpreter)


def _python(ctx: Context, words: list[Word], stdin: Word | None) -> None:
    argv = [w.text for w in words]
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-":
            break
        if arg.startswith("--") or arg in ("-W", "-X"):
            i += 1 if arg.startswith("--") else 2
            continue
        if not arg.startswith("-"):
            _script(ctx, words[i], "python")
            return
        for j in range(1, len(arg)):
            rest = arg[j + 1 :]
            value = Word(rest) if rest else (words[i + 1] if i + 1 < len(words) else Word(""))
            if arg[j] == "c":
                ctx.payload(value, "python")
                return
            if arg[j] == "m":
                ctx.facts.code("python", [value.text], [])
                return
            if arg[j] in "WX":
                i += 0 if rest else 1
                break
        i += 1
    if stdin is not None:
        ctx.payload(stdin, "python")


def _powershell(ctx: Context, words: list[Word]) -> None:
    argv = [w.text for w in words]
    i = 1
    while i < len(argv):
        arg = argv[i].lower()
        if arg in _PS_VALUED:
            i += 2
            continue
        if arg in ("-encodedcommand", "-enc", "-e", "-ec") and i + 1 < len(argv):
            try:
                text = base64.b64decode(argv[i + 1], validate=False).decode("utf-16-le")
            except (binascii.Error, ValueError):
                return
            ctx.payload(Word(text, origin=BASE64), "shell")
            return
        if arg in ("-file", "-f") and i + 1 < len(argv):
            _script(ctx, words[i + 1], "shell")
            return
        if arg in ("-command", "-c") or not arg.startswith("-"):
            ctx.payload(spaced(words[i + (1 if arg.startswith("-") else 0) :]), "shell")
            return
        i += 1


def _dash_c(ctx: Context, words: list[Word]) -> None:
    """`su -c CMD`, `runuser -c`, `script -c`: the option's value is a shell command."""
    for i, word in enumerate(words[1:], 1):
        arg = word.text
        if arg.startswith("--command="):
            ctx.payload(Word(arg[10:], word.static, word.origin), "shell")
            return
        if arg == "--command" or (arg.startswith("-") and arg[1:].isalpha() and arg.endswith("c")):
            if i + 1 < len(words):
                ctx.payload(words[i + 1], "shell")
            return


def _find(ctx: Context, words: list[Word], scope: Scope | None) -> None:
    argv = [w.text for w in words]
    i = 1
    while i < len(argv) and argv[i] in ("-H", "-L", "-P"):
        i += 1
    starts = []
    while i < len(argv) and not argv[i].startswith(("-", "(", "!")):
        starts.append(argv[i])
        i += 1
    op = "delete" if "-delete" in argv else "read"
    for start in starts:
        files.add(ctx, start, op)  # type: ignore[arg-type]
    while i < len(argv):
        if argv[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(argv) and argv[end] not in (";", "+"):
                end += 1
            if end > i + 1:
                ctx.argv(words[i + 1 : end], shlex.join(argv[i + 1 : end]), None, scope)
            i = end
        elif argv[i] in ("-fprint", "-fprint0", "-fprintf", "-fls") and i + 1 < len(argv):
            files.add(ctx, argv[i + 1], "write")
        i += 1


def _watch(ctx: Context, words: list[Word], scope: Scope | None) -> None:
    argv = [w.text for w in words]
    i = 1
    direct = False
    while i < len(argv) and argv[i].startswith("-"):
        direct = direct or argv[i] in ("-x", "--exec")
        i += 2 if argv[i] in ("-n", "--interval", "-q", "--equexit") else 1
    if i >= len(argv):
        return
    if direct:
        ctx.argv(words[i:], shlex.join(argv[i:]), None, scope)
    else:
        ctx.payload(spaced(words[i:]), "shell")


def _flock(ctx: Context, words: list[Word], scope: Scope | None) -> None:
    argv = [w.text for w in words]
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in ("-w", "--timeout", "-E", "--conflict-exit-code") else 1
    i += 1  # the lock file
    if i < len(argv) and argv[i] in ("-c", "--command"):
        if i + 1 < len(words):
            ctx.payload(words[i + 1], "shell")
    elif i < len(argv):
        ctx.argv(words[i:], shlex.join(argv[i:]), None, scope)


def _urls_in_argv(ctx: Context, argv: list[str]) -> None:
    """Whole-word URLs given to any program that acts on its arguments (`git clone URL`)."""
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg in _MESSAGE_OPTIONS:
            skip = True
            continue
        if "=" in arg and (arg.startswith("--") or _ASSIGNMENT.match(arg)):
            name, _, arg = arg.partition("=")  # `--repo-url=URL`, `OPENAI_BASE_URL=URL`
            if name in _MESSAGE_OPTIONS:
                continue
        if "://" in arg and has_scheme(arg):
            url = parse_url(arg, method="")
            if url is not None:
                ctx.facts.url(url)


def _tee(ctx: Context, argv: list[str], stdin: Word | None) -> None:
    append = any(a in ("-a", "--append") for a in argv[1:])
    for operand in argv[1:]:
        if not operand.startswith("-"):
            ctx.facts.remember(files.normalize_path(operand), stdin, append=append)


_PRELOADS = frozenset({"LD_PRELOAD", "LD_AUDIT", "DYLD_INSERT_LIBRARIES"})


def _environment(ctx: Context, assignment: str) -> None:
    """A variable set for one command: a preloaded library is code that command runs."""
    name, _, value = assignment.partition("=")
    if name in _PRELOADS:
        for library in value.replace(":", " ").split():
            files.add(ctx, library, "exec")


def _flag_program(ctx: Context, head: Word) -> None:
    if head.origin in ENCODINGS or head.origin == REMOTE:
        ctx.facts.flag(f"{head.origin}_to_shell")
    elif not head.static:
        ctx.facts.flag(DYNAMIC_PROGRAM)
    elif head.origin == VARIABLE:
        ctx.facts.flag(VARIABLE_PROGRAM)
    elif head.origin == SUBSTITUTION:
        ctx.facts.flag(SUBSTITUTED_PROGRAM)
    elif head.escaped:
        ctx.facts.flag(ESCAPED_PROGRAM_NAME)


_NETCATS = frozenset({"nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "pwncat"})
_SCANNERS = frozenset({"nmap", "masscan", "zmap", "rustscan", "hping3", "fping", "nbtscan",
                       "arp-scan", "unicornscan", "naabu"})  # fmt: skip
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_FETCHERS = frozenset({"curl", "wget", "http", "https", "xh", "xhs", "iwr", "irm",
                       "invoke-webrequest", "invoke-restmethod"})  # fmt: skip


def _follow(
    ctx: Context, program: str, words: list[Word], stdin: Word | None, scope: Scope | None
) -> None:
    """Dispatch to what the program runs or fetches."""
    argv = [w.text for w in words]
    if program in _SHELLS:
        _shell(ctx, words, stdin)
    elif _PYTHON.fullmatch(program):
        _python(ctx, words, stdin)
    elif program in ("pwsh", "powershell"):
        _powershell(ctx, words)
    elif program in ("source", ".") and len(words) > 1:
        _script(ctx, words[1], "shell")
    elif program == "eval":
        ctx.payload(spaced(words[1:]), "shell", scope, evaluated=True)
    elif program == "trap" and len(argv) > 2 and not argv[1].startswith("-"):
        ctx.payload(words[1], "shell")
    elif program in ("at", "batch"):
        schedules.at(ctx, argv, stdin)
    elif program == "crontab":
        schedules.crontab(ctx, argv, stdin)
    elif program == "tmux":
        schedules.tmux(ctx, words)
    elif program in ("su", "runuser", "script"):
        _dash_c(ctx, words)
    elif program == "ssh":
        network.ssh(ctx, words, stdin)
    elif program in _NETCATS:
        network.netcat(ctx, words)
    elif program == "socat":
        network.socat(ctx, argv)
    elif program == "telnet":
        network.telnet(ctx, argv)
    elif program in _SCANNERS:
        network.scanner(ctx, argv)
    elif program in ("dig", "nslookup", "host", "drill", "kdig"):
        network.lookup(ctx, argv)
    elif program == "git":
        network.git_remotes(ctx, argv)
    elif program in ("kubectl", "oc", "docker", "podman", "nerdctl"):
        containers.container(ctx, words, scope)
    elif program == "find":
        _find(ctx, words, scope)
    elif program == "watch":
        _watch(ctx, words, scope)
    elif program == "flock":
        _flock(ctx, words, scope)
    elif program in scripts.INTERPRETERS:
        scripts.interpreter(ctx, program, words)
    elif program in ("awk", "gawk", "mawk", "nawk", "busybox-awk"):
        scripts.awk(ctx, argv)
    elif program == "osascript":
        scripts.osascript(ctx, argv)
    elif program in ("ed", "red", "ex"):
        scripts.ed(ctx, argv, stdin)
    elif program == "curl":
        http_clients.curl(ctx, argv)
    elif program == "wget":
        http_clients.wget(ctx, argv)
    elif program in ("http", "https", "xh", "xhs"):
        http_clients.httpie(ctx, program, argv)
    elif program in ("iwr", "irm", "invoke-webrequest", "invoke-restmethod"):
        http_clients.invoke_web_request(ctx, argv)


def run(
    ctx: Context, words: list[Word], raw: str, stdin: Word | None, scope: Scope | None
) -> Word | None:
    """Record the command in `words` and everything it implies; returns its stdout if known."""
    argv = [w.text for w in words]
    found = unwrap(argv)
    for path, op in found.paths:
        files.add(ctx, path, op)
    for start, end in found.spans:
        ctx.facts.command(program_name(argv[start]), argv[start:end], raw)
        _urls_in_argv(ctx, argv[start:end])
    for assignment in found.assignments:
        _environment(ctx, assignment)
    if found.split is not None:  # `env -S "prog args" more`: env splits the string itself
        rest = shlex.join(argv[found.start :])
        ctx.payload(Word(f"{found.split} {rest}".strip()), "shell")
        return None
    words = words[found.start :]
    argv = argv[found.start :]
    if not argv or not argv[0]:
        return None
    program = program_name(argv[0])
    _flag_program(ctx, words[0])
    ctx.facts.command(program, argv, raw)
    if "/" in argv[0] and words[0].static:
        files.add(ctx, argv[0], "exec")
        _written_script(ctx, argv[0], None)
    key = program.lower() if program.lower() in _FETCHERS else program
    _follow(ctx, key, words, stdin, scope)
    if key not in MENTIONS and key not in _FETCHERS:
        _urls_in_argv(ctx, argv)
    files.from_argv(ctx, key, argv)
    if key == "tee":
        _tee(ctx, argv, stdin)
    if key in transfers.PROGRAMS:
        transfers.from_argv(ctx, key, argv)
    return streams.output(key, words, stdin)
