"""What simple commands write to stdout, when it can be known without running them.

This is how `echo <b64> | base64 -d | sh` reveals its payload: echo's output is its
arguments, base64 decodes its stdin, and the shell receives text whose origin says it was
encoded. Unknown output is None; content fetched from the network keeps its origin.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from gateway.firewall.normalize.words import BASE64, HEX, REMOTE, REVERSED, Word, echo_escapes, join

_SPACE = re.compile(r"\s+")
_NETWORK = frozenset({"curl", "wget", "http", "https", "xh", "xhs", "iwr", "irm",
                      "invoke-webrequest", "invoke-restmethod", "nc", "ncat", "socat"})  # fmt: skip


def _decode_base64(text: str) -> str | None:
    compact = _SPACE.sub("", text)
    if not compact:
        return None
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=None)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _decode_hex(text: str) -> str | None:
    try:
        return bytes.fromhex(_SPACE.sub("", text)).decode("utf-8")
    except ValueError:
        return None


def _transform(stdin: Word | None, decode: Callable[[str], str | None], origin: str) -> Word | None:
    if stdin is None:
        return None
    if not stdin.static:
        return Word("", static=False, origin=stdin.origin)
    decoded = decode(stdin.text)
    if decoded is None:
        return None
    return Word(decoded, origin=origin)


def _echo(words: list[Word]) -> Word:
    args = words[1:]
    newline = True
    escapes = False
    while (
        args
        and len(args[0].text) > 1
        and args[0].text[0] == "-"
        and set(args[0].text[1:]) <= set("neE")
    ):
        flags = args.pop(0).text
        newline = newline and "n" not in flags
        escapes = "e" in flags or (escapes and "E" not in flags)
    spaced: list[Word] = []
    for index, arg in enumerate(args):
        if index:
            spaced.append(Word(" "))
        spaced.append(arg)
    out = join(spaced) if spaced else Word("")
    text = echo_escapes(out.text) if escapes else out.text
    return Word(text + ("\n" if newline else ""), out.static, out.origin)


def _printf(words: list[Word]) -> Word | None:
    if len(words) < 2 or words[1].text.startswith("-"):
        return None
    template = words[1].text
    if "%" not in template:
        return Word(echo_escapes(template), words[1].static, words[1].origin)
    if template.rstrip("\\n").rstrip("\n") in ("%s", "%b") and len(words) > 2:
        out = join(words[2:])
        ending = "\n" if template.endswith(("\\n", "\n")) else ""
        return Word(out.text + ending, out.static, out.origin)
    return None


def _decoding(argv: list[str]) -> bool:
    """`base64 -d`, `-di`, `--decode`, or macOS's `-D`."""
    return any(
        a in ("--decode", "-D") or (a.startswith("-") and not a.startswith("--") and "d" in a)
        for a in argv[1:]
    )


def _locating(program: str, argv: list[str]) -> bool:
    """`which x`, `command -v x`, `type -P x`: the output is where program x is."""
    if program == "which":
        return True
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    return ("v" in flags or "V" in flags) if program == "command" else any(c in flags for c in "pP")


def _reverse_lines(text: str) -> str:
    return "\n".join(line[::-1] for line in text.split("\n"))


def output(program: str, words: list[Word], stdin: Word | None) -> Word | None:
    """The stdout of one command, or None when it cannot be known."""
    argv = [w.text for w in words]
    operands = [a for a in argv[1:] if not a.startswith("-")]
    if program == "echo":
        return _echo(words)
    if program == "printf":
        return _printf(words)
    if program in ("cat", "tee") and (program == "tee" or not operands or operands == ["-"]):
        return stdin
    if program in ("base64", "gbase64") and _decoding(argv) and not operands:
        return _transform(stdin, _decode_base64, BASE64)
    if (
        program == "openssl"
        and operands[:1] in (["base64"], ["enc"])
        and "-d" in argv
        and (operands[0] == "base64" or "-base64" in argv or "-a" in argv)
    ):
        return _transform(stdin, _decode_base64, BASE64)
    if program == "xxd" and any("r" in a for a in argv[1:] if a.startswith("-")):
        return _transform(stdin, _decode_hex, HEX)
    if program == "rev" and not operands:
        return _transform(stdin, _reverse_lines, REVERSED)
    if program in ("which", "command", "type") and operands and _locating(program, argv):
        return Word(operands[0] + "\n", words[argv.index(operands[0])].static)
    if program in _NETWORK:
        return Word("", static=False, origin=REMOTE)
    return None
