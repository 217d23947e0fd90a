"""Best-effort reading of arguments text that is not valid JSON.

Models truncate their output, use single quotes or bare keys, or emit two objects back to
back. This reader keeps whatever structure it can: unterminated strings end at the end of
the text, open containers are closed, a key without a value is dropped, and several
top-level values become a list. It never raises and its work is linear in the text.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.firewall.normalize import limits

_TOKEN = re.compile(
    r"""\s+"""
    r"""|(?P<dq>"[^"\\]*(?:\\.[^"\\]*)*"?)"""
    r"""|(?P<sq>'[^'\\]*(?:\\.[^'\\]*)*'?)"""
    r"""|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])"""
    r"""|(?P<word>[A-Za-z_$][\w$.-]*)"""
    r"""|(?P<punct>[{}\[\]:,])"""
    r"""|(?P<other>.)""",
    re.S,
)
_MAX_TOKENS = 4 * limits.MAX_JSON_NODES
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_PARTIAL_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?\Z")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None, "True": True,
                             "False": False, "None": None}  # fmt: skip


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u" and len(code) == 5:
            char = chr(int(code[1:], 16))
            return "\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char
        return _SIMPLE_ESCAPES.get(code, code)

    body = _PARTIAL_ESCAPE.sub("", body)
    return _ESCAPE.sub(one, body)


def _string(lexeme: str) -> str:
    quote = lexeme[0]
    body = lexeme[1:-1] if len(lexeme) > 1 and lexeme.endswith(quote) else lexeme[1:]
    return _unescape(body)


def _number(lexeme: str) -> int | float | str:
    try:
        return float(lexeme) if any(c in lexeme for c in ".eE") else int(lexeme)
    except ValueError:  # more digits than int() accepts
        return lexeme


class _Builder:
    """A stack machine over tokens; containers deeper than the limit are skipped."""

    def __init__(self) -> None:
        self.roots: list[Any] = []
        self.stack: list[Any] = []  # open dicts and lists
        self.keys: list[str | None] = []  # the pending key of each open dict
        self.skipped = 0  # open containers beyond MAX_JSON_DEPTH

    def value(self, item: Any) -> None:
        if self.skipped:
            return
        if not self.stack:
            self.roots.append(item)
            return
        top = self.stack[-1]
        if isinstance(top, list):
            top.append(item)
        elif self.keys[-1] is None and isinstance(item, str):
            self.keys[-1] = item
        elif self.keys[-1] is not None:
            top[self.keys[-1]] = item
            self.keys[-1] = None

    def open(self, container: Any) -> None:
        if self.skipped or len(self.stack) >= limits.MAX_JSON_DEPTH:
            self.skipped += 1
            return
        self.value(container)
        self.stack.append(container)
        self.keys.append(None)

    def close(self) -> None:
        if self.skipped:
            self.skipped -= 1
        elif self.stack:
            self.stack.pop()
            self.keys.pop()


def recover(text: str) -> Any:
    """The JSON value `text` most plausibly meant, or `text` itself when it holds no structure."""
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        return text
    builder = _Builder()
    for count, match in enumerate(_TOKEN.finditer(text, 0, limits.MAX_TEXT)):
        if count >= _MAX_TOKENS:
            break
        kind = match.lastgroup
        lexeme = match.group()
        if kind in ("dq", "sq"):
            builder.value(_string(lexeme))
        elif kind == "num":
            builder.value(_number(lexeme))
        elif kind == "word":
            builder.value(_LITERALS.get(lexeme, lexeme))
        elif lexeme in "{[":
            builder.open({} if lexeme == "{" else [])
        elif lexeme in "}]":
            builder.close()
    if not builder.roots:
        return text
    return builder.roots[0] if len(builder.roots) == 1 else builder.roots
