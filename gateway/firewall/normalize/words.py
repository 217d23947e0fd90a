"""A shell word after quote removal, and where its value came from.

`origin` records how a value was obtained when that matters to policy: text decoded from
base64 or hex, text reversed, or content downloaded from the network (whose text is unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LITERAL = ""
VARIABLE = "variable"
SUBSTITUTION = "substitution"
BASE64 = "base64"
HEX = "hex"
REVERSED = "reversed"
REMOTE = "remote"
ENCODINGS = (BASE64, HEX, REVERSED)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    static: bool = True  # no part of the value is unknown
    origin: str = LITERAL
    escaped: bool = False  # quoting or backslashes changed the spelling


def join(parts: list[Word]) -> Word:
    """Adjacent parts of one word (`"a"b$c`) or a command's stdout built from arguments."""
    if len(parts) == 1:
        return parts[0]
    origin = next((p.origin for p in parts if p.origin in (*ENCODINGS, REMOTE)), "")
    origin = origin or next((p.origin for p in parts if p.origin), LITERAL)
    return Word(
        text="".join(p.text for p in parts),
        static=all(p.static for p in parts),
        origin=origin,
        escaped=any(p.escaped for p in parts),
    )


def spaced(words: list[Word]) -> Word:
    """Words joined by single spaces, as `eval` and `ssh host a b` join their arguments."""
    parts: list[Word] = []
    for word in words:
        if parts:
            parts.append(Word(" "))
        parts.append(word)
    return join(parts) if parts else Word("")


_UNQUOTED_ESCAPE = re.compile(r"\\(\n|.)", re.S)
_DQUOTED_ESCAPE = re.compile(r"\\([$`\"\\\n])")
_ANSI_ESCAPE = re.compile(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)", re.S
)
_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b",
                "E": "\x1b", "f": "\f", "v": "\v"}  # fmt: skip


def unquote_word(raw: str) -> str:
    """An unquoted word: `\\x` is `x`, and backslash-newline joins lines."""
    if "\\" not in raw:
        return raw
    return _UNQUOTED_ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), raw)


def unquote_double(raw: str) -> str:
    """The content of a double-quoted string, where only `$ ` " \\` and newline are escapable."""
    if "\\" not in raw:
        return raw
    return _DQUOTED_ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), raw)


def _ansi_char(match: re.Match[str]) -> str:
    code = match.group(1)
    head = code[0]
    if head in "xuU" and len(code) > 1:
        value = int(code[1:], 16)
    elif head in "01234567":
        value = int(code, 8)
    elif head == "c" and len(code) == 2:
        value = ord(code[1]) & 0x1F
    else:
        return _ANSI_SIMPLE.get(code, code)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\ufffd"
    return chr(value)


def unquote_ansi_c(raw: str) -> str:
    """A `$'…'` string: C escapes such as `\\x41`, `\\101` and `\\u0041` are decoded."""
    body = raw[2:-1] if raw.endswith("'") else raw[2:]
    return _ANSI_ESCAPE.sub(_ansi_char, body)


def echo_escapes(text: str) -> str:
    """`echo -e` and `printf` format escapes, which follow the `$'…'` rules."""
    return _ANSI_ESCAPE.sub(_ansi_char, text) if "\\" in text else text


def program_name(text: str) -> str:
    """`/usr/bin/aws` → `aws`; `C:\\Tools\\curl.exe` → `curl`."""
    name = text.rstrip("/").rsplit("/", 1)[-1]
    if "\\" in name:
        name = name.rsplit("\\", 1)[-1]
    if name[-4:].lower() == ".exe":
        name = name[:-4]
    return name or text
