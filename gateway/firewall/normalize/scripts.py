"""One-liners in languages without a parser here: awk, Perl, Ruby, Node, PHP, Lua, AppleScript.

They are not parsed. What policy needs from them is read with patterns: the shell commands they
run (`system("…")`, backticks, `do shell script "…"`, awk's `"cmd" | getline`), which go back
to the shell parser; the modules they load; the URLs they name; and gawk's `/inet/tcp/…`
sockets. Script files given to these interpreters are executed files.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway.firewall.normalize import code, files
from gateway.firewall.normalize.urls import port_number, target
from gateway.firewall.normalize.words import Word

if TYPE_CHECKING:
    from gateway.firewall.normalize.context import Context

_STRING = r"""(?:"(?P<dq>(?:[^"\\\n]|\\.){0,4096})"|'(?P<sq>(?:[^'\\\n]|\\.){0,4096})')"""
_SHELL_OUT = re.compile(
    r"(?<!\w)(?:system|exec|popen|spawn|spawnSync|execSync|execFileSync|shell_exec|passthru|"
    r"proc_open|pcntl_exec|IO\.popen|Open3\.\w+|os\.execute|io\.popen|Kernel\.exec)"
    r"\s*\(?\s*(?:\[\s*)?" + _STRING
)
_BACKTICKS = re.compile(r"`([^`\n]{1,4096})`|(?:\bqx|%x)\s*[{(/\[]([^{}()/\[\]\n]{1,4096})[})/\]]")
# `"cmd" | getline` reads a command's output; `print … | "cmd"` (or gawk's `|&`) feeds one.
_AWK_PIPE = re.compile(
    _STRING.replace("dq", "pdq").replace("sq", "psq") + r"\s*\|\s*getline"
    r"|(?<![|&])\|&?\s*" + _STRING.replace("dq", "odq").replace("sq", "osq")
)
_AWK_SYSTEM = re.compile(r"\bsystem\s*\(\s*" + _STRING)
_GAWK_SOCKET = re.compile(r"/inet[46]?/(tcp|udp)/\d+/([^/\"'\s]+)/(\d+)")
_IMPORTS = {
    "perl": re.compile(r"\b(?:use|require)\s+([A-Za-z_][\w:]*)"),
    "ruby": re.compile(r"\brequire(?:_relative)?\s*\(?\s*['\"]([\w/.-]+)['\"]"),
    "node": re.compile(
        r"\brequire\s*\(\s*['\"]([\w@/.:-]+)['\"]"
        r"|\bimport\s[^;\n]{0,256}?from\s+['\"]([\w@/.:-]+)['\"]"
    ),
    "lua": re.compile(r"\brequire\s*\(?\s*['\"]([\w.]+)['\"]"),
}  # fmt: skip
# `do shell script "…"` runs a shell; Terminal's `do script "…"` types the command into a
# terminal, which runs it all the same.
_APPLESCRIPT_SHELL = re.compile(
    r"do\s+(?:shell\s+)?script\s+\"((?:[^\"\\]|\\.){0,4096})\"|doShellScript\(\s*" + _STRING
)
_APPLESCRIPT_DELETE = re.compile(r"\bdelete\s+(?:POSIX\s+)?file\s+\"((?:[^\"\\]|\\.){1,4096})\"")
_UNESCAPE = re.compile(r"\\(.)")

# Per interpreter: its language, the option letters whose value is inline code, and the
# option letters that load a module (`perl -MSocket`, `ruby -rsocket`).
INTERPRETERS: dict[str, tuple[str, str, str]] = {
    "perl": ("perl", "eE", "Mm"),
    "ruby": ("ruby", "e", "r"),
    "node": ("node", "ep", "r"),
    "nodejs": ("node", "ep", "r"),
    "php": ("php", "r", ""),
    "lua": ("lua", "e", "l"),
}
_LONG_CODE = frozenset({"--eval", "--print"})
_LONG_MODULE = frozenset({"--require"})


def _literal(match: re.Match[str]) -> str:
    text = next((g for g in match.groups() if g is not None), "")
    return _UNESCAPE.sub(r"\1", text)


def inline(ctx: Context, language: str, source: str) -> None:
    """Record the facts of a one-liner in `language`."""
    source = ctx.facts.take_text(source)
    imports: list[str] = []
    pattern = _IMPORTS.get(language)
    if pattern is not None:
        for match in pattern.finditer(source):
            imports.append(next(g for g in match.groups() if g))
    ctx.facts.code(language, imports, [])
    for match in _SHELL_OUT.finditer(source):
        ctx.payload(Word(_literal(match)), "shell")
    if language in ("perl", "ruby", "php"):
        for match in _BACKTICKS.finditer(source):
            ctx.payload(Word(match.group(1) or match.group(2)), "shell")
    code.urls_in_text(ctx, source)


def interpreter(ctx: Context, program: str, words: list[Word]) -> None:
    """`perl -ne '…' f`, `ruby -rsocket -e '…'`, `node script.js`, `php -r '…'`: inline code,
    loaded modules, the script file run, and the files a one-liner reads (or edits with -i)."""
    language, code_letters, module_letters = INTERPRETERS[program]
    argv = [w.text for w in words]
    ran = in_place = False
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        name, eq, value = arg.partition("=")
        if name in _LONG_CODE or name in _LONG_MODULE:
            if not eq and i < len(argv):
                value, i = argv[i], i + 1
            if name in _LONG_CODE:
                inline(ctx, language, value)
                ran = True
            else:
                ctx.facts.code(language, [value], [])
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            in_place = in_place or "i" in arg[1:].split("e")[0]
            for j in range(1, len(arg)):
                letter = arg[j]
                if letter not in code_letters and letter not in module_letters:
                    continue
                value = arg[j + 1 :]
                if not value and i < len(argv):
                    value, i = argv[i], i + 1
                if letter in code_letters:
                    inline(ctx, language, value)
                    ran = True
                else:
                    ctx.facts.code(language, [value.split("=")[0].lstrip("=")], [])
                break
        elif not ran:
            if words[i - 1].static:
                files.add(ctx, arg, "exec")
            return
        else:
            files.add(ctx, arg, "write" if in_place else "read")


def awk(ctx: Context, argv: list[str]) -> None:
    """The commands an awk program runs: `system("…")`, `"cmd" | getline`, `print | "cmd"`."""
    i = 1
    while i < len(argv) and argv[i].startswith("-") and len(argv[i]) > 1:
        if argv[i] in ("-f", "--file"):
            return
        i += 2 if argv[i] in ("-F", "-v", "--field-separator", "--assign") else 1
    if i >= len(argv):
        return
    program = argv[i]
    for pattern in (_AWK_SYSTEM, _AWK_PIPE):
        for match in pattern.finditer(program):
            ctx.payload(Word(_literal(match)), "shell")
    for match in _GAWK_SOCKET.finditer(program):
        url = target(match.group(2), match.group(1), port_number(match.group(3)))
        if url is not None:
            ctx.facts.url(url)


def osascript(ctx: Context, argv: list[str]) -> None:
    """AppleScript (`do shell script "…"`, Finder's `delete POSIX file "…"`) and JavaScript for
    Automation (`doShellScript`)."""
    statements: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "-e" and i < len(argv):
            statements.append(argv[i])
            i += 1
        elif arg in ("-l", "-s") and i < len(argv):
            i += 1
        elif not arg.startswith("-"):
            if not statements:
                files.add(ctx, arg, "exec")
            break
    source = ctx.facts.take_text("\n".join(statements))
    for match in _APPLESCRIPT_SHELL.finditer(source):
        ctx.payload(Word(_literal(match)), "shell")
    for match in _APPLESCRIPT_DELETE.finditer(source):
        files.add(ctx, _literal(match), "delete")
    code.urls_in_text(ctx, source)


_ED_COMMAND = re.compile(r"(?:[0-9,.$;+-]*)(wq|[eErRwW])\s+(\S.*)$")


def ed(ctx: Context, argv: list[str], stdin: Word | None) -> None:
    """ed and ex read their commands from stdin: `e FILE` and `r FILE` read a file, `w FILE`
    writes one, `!cmd` (or `r !cmd`) runs a shell command."""
    operands = [a for a in argv[1:] if not a.startswith(("-", "+"))]
    lines = stdin.text.splitlines()[:256] if stdin is not None else []
    writes = any(line.strip() in ("w", "wq", "x", "W") for line in lines)
    for operand in operands[:1]:
        files.add(ctx, operand, "write" if writes else "read")
    for line in lines:
        line = line.strip()
        if line.startswith("!"):
            ctx.payload(Word(line[1:]), "shell")
            continue
        match = _ED_COMMAND.match(line)
        if match is None:
            continue
        letter, target = match.groups()
        if target.startswith("!"):
            ctx.payload(Word(target[1:]), "shell")
        else:
            files.add(ctx, target, "read" if letter in "eErR" else "write")
