"""Tool-call arguments: parsing the model's text, then walking the value for facts.

What an argument carries is decided by its name (see `hints`), at any depth: nested
objects, arrays of URLs, and argv-style lists such as `{"command": ["bash", "-c", "…"]}`.
Every string is scanned for secrets whatever its name.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from gateway.firewall.normalize import code, files, limits
from gateway.firewall.normalize.context import Context
from gateway.firewall.normalize.facts import MAX_DEPTH, TRUNCATED_INPUT, Facts
from gateway.firewall.normalize.hints import (
    Role,
    ToolHints,
    credential_kind,
    key_path_op,
    role_of,
    squash,
    tool_hints,
)
from gateway.firewall.normalize.recover import recover
from gateway.firewall.normalize.secrets import masked_types, plausible_value, secret_types
from gateway.firewall.normalize.urls import (
    HTTP_METHODS,
    has_scheme,
    looks_like_url,
    parse_url,
    port_number,
    target,
)
from gateway.firewall.normalize.words import Word, program_name
from gateway.models import JSONValue, PathOp

# An IP address or network where a path could stand (`{"target": "10.0.0.0/24"}`).
_ADDRESS = re.compile(
    r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|:\d{1,5})?"
    r"|\[?[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*\]?"
)
_KINDS = {str: "string", list: "array", int: "number", float: "number", bool: "boolean"}


def _too_deep(value: Any) -> bool:
    stack = [(value, 0)]
    seen = 0
    while stack and seen < limits.MAX_JSON_NODES:
        item, depth = stack.pop()
        seen += 1
        if depth > limits.MAX_JSON_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def _prune(value: Any, depth: int = 0) -> Any:
    """A copy without containers nested deeper than the limit (JSON encoders refuse them)."""
    if not isinstance(value, dict | list):
        return value
    if depth >= limits.MAX_JSON_DEPTH:
        return None
    if isinstance(value, dict):
        return {k: _prune(v, depth + 1) for k, v in value.items()}
    return [_prune(v, depth + 1) for v in value]


def parse_arguments(raw: str) -> tuple[JSONValue, str | None]:
    """Parse the model's raw arguments text.

    Returns (parsed JSON, None) or, when it does not parse or is not a usable object
    (truncated, not an object, NUL bytes, absurd nesting), (best-effort recovered value,
    error message). The recovered value is a dict rebuilt from truncated or sloppy JSON, the
    non-object value itself, or the raw text; it never nests deeper than the JSON limit.
    """
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return _prune(raw), "arguments are not text"
    if not raw.strip():
        return {}, None  # some providers send "" for a tool without parameters
    text = raw.replace("\x00", "") if "\x00" in raw else raw
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return recover(text), f"arguments are not valid JSON: {exc}"
    if text is not raw or "\\u0000" in raw:
        return _prune(value), "arguments contain NUL bytes"
    if not isinstance(value, dict):
        if isinstance(value, str) and value.lstrip().startswith("{"):
            inner, _ = parse_arguments(value)
            if isinstance(inner, dict):
                return inner, "arguments are a JSON string that holds the object (double-encoded)"
        kind = _KINDS.get(type(value), "null")
        return _prune(value), f"arguments are a JSON {kind}, not an object"
    if _too_deep(value):
        return _prune(value), f"arguments nest deeper than {limits.MAX_JSON_DEPTH} levels"
    return value, None


_SIBLINGS_READ = 256  # keys of one object examined for hints about the others
_ARGS_KEYS = frozenset({"args", "argv", "arguments", "commandargs"})
_BODY_KEYS = frozenset({"body", "data", "json", "payload", "content", "form", "files"})
# Text-editor schemas ({"command": "view", "path": …}): the command says how the path is used.
_EDITOR_OPS: dict[str, PathOp] = {
    "view": "read", "read": "read", "delete": "delete", "create": "write", "str_replace": "write",
    "insert": "write", "undo_edit": "write", "edit": "write", "write": "write", "append": "write",
}  # fmt: skip
# Text a file tool writes ({"path": ".env", "content": …}); a dotenv file's lines are
# variables the next process started from that directory will have.
_CONTENT_KEYS = frozenset({"content", "contents", "filetext", "filecontent", "filecontents",
                           "text", "newstr", "newstring", "newtext", "newcontent"})  # fmt: skip
_DOTENV_LINE = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)")
_SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "zsh", "console", "terminal", "powershell",
                              "pwsh", "ps1"})  # fmt: skip


def _language(value: str) -> str:
    name = value.strip().lower().rstrip("0123456789.")
    if name in ("python", "py", "ipython", "python3", "jupyter"):
        return "python"
    return "shell" if name in _SHELL_LANGUAGES else name


@dataclass(frozen=True, slots=True)
class _Siblings:
    """What the other arguments of one object say about each argument."""

    language: str | None = None
    method: str | None = None
    has_body: bool = False
    editor: PathOp | None = None  # text-editor schemas: {"command": "view", …} is no shell
    args: tuple[str, ...] | None = None  # MCP-style {"command": "npx", "args": ["-y", …]}
    port: int | None = None  # {"host": …, "port": 22}
    scheme: str = ""  # {"host": …, "protocol": "ssh"}
    dotenv: bool = False  # the path names a dotenv file (.env, .env.local, prod.env, .envrc)

    @classmethod
    def of(cls, mapping: dict[Any, Any]) -> _Siblings:
        language = method = None
        has_body = has_path = False
        args = None
        port: int | None = None
        scheme = ""
        dotenv = False
        for key, value in islice(mapping.items(), _SIBLINGS_READ):
            if not isinstance(key, str):
                continue
            if squash(key) in _ARGS_KEYS and _strings(value):
                args = tuple(value[: limits.MAX_ARGV])
            role = role_of(key)
            if role is Role.LANGUAGE and isinstance(value, str):
                language = _language(value)
            elif role is Role.METHOD and isinstance(value, str) and value.upper() in HTTP_METHODS:
                method = value.upper()
            elif role is Role.PATH:
                has_path = True
                dotenv = dotenv or (isinstance(value, str) and _is_dotenv(value))
            elif role is Role.PORT and isinstance(value, int | str) and not isinstance(value, bool):
                port = port_number(str(value))
            elif role is Role.SCHEME and isinstance(value, str) and value.isalnum():
                scheme = value.lower()[:16]
            elif squash(key) in _BODY_KEYS:
                has_body = True
        verb = mapping.get("command")
        editor = _EDITOR_OPS.get(verb) if has_path and isinstance(verb, str) else None
        return cls(language, method, has_body, editor, args, port, scheme, dotenv)


def _is_dotenv(path: str) -> bool:
    name = path.strip().rpartition("/")[2]
    return name in (".env", ".envrc") or name.startswith(".env.") or name.endswith(".env")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, str) for i in value[: limits.MAX_ARGV])


def _is_argv(items: list[Any]) -> bool:
    """`["bash", "-c", "…"]` rather than a list of command lines."""
    if len(items) < 2 or not all(isinstance(i, str) for i in items):
        return False
    return bool(items[0]) and not any(c.isspace() for c in items[0])


def _path_like(value: str) -> bool:
    return (
        0 < len(value) <= 4096
        and not any(c.isspace() or c in "(=;{" for c in value)
        and ("/" in value or "." in value or value.startswith("~"))
    )


class _Walk:
    def __init__(self, facts: Facts, hints: ToolHints) -> None:
        self.facts = facts
        self.hints = hints
        self.nodes = 0

    def run(self, root: Any) -> None:
        stack: list[tuple[Any, str, int, Role, str, _Siblings]] = [
            (root, "arguments", 0, Role.NONE, "", _Siblings())
        ]
        while stack:
            value, location, depth, role, key, siblings = stack.pop()
            if depth > limits.MAX_JSON_DEPTH:
                self.facts.flag(MAX_DEPTH)
                continue
            pending: list[tuple[Any, str, int, Role, str, _Siblings]] = []
            if isinstance(value, dict):
                self.mapping(value, location, depth, pending)
            elif isinstance(value, list):
                self.sequence(value, location, depth, role, key, siblings, pending)
            stack.extend(reversed(pending))

    def budget(self) -> bool:
        self.nodes += 1
        if self.nodes > limits.MAX_JSON_NODES:
            self.facts.flag(TRUNCATED_INPUT)
            return False
        return self.facts.step()

    def mapping(
        self, mapping: dict[Any, Any], location: str, depth: int, pending: list[Any]
    ) -> None:
        siblings = _Siblings.of(mapping)
        lone = self.lone_string(mapping) if depth == 0 else None
        shell = any(isinstance(k, str) and role_of(k) is Role.SHELL for k in mapping)
        if depth == 0 and self.hints.cli and siblings.args is not None and not shell:
            # `{"name": "gcloud", "arguments": {"args": ["compute", …]}}`
            self.argv([self.hints.cli, *siblings.args], location, scan=False)
        for raw_key, value in mapping.items():
            if not self.budget():
                return
            key = raw_key if isinstance(raw_key, str) else str(raw_key)
            safe, kinds = masked_types(key[: limits.MAX_RAW])
            where = f"{location}.{safe[:64]}"
            for kind in kinds:
                self.facts.secret(kind, where)
            role = role_of(key)
            if key == lone:
                role = Role.CODE if self.hints.python else Role.SHELL
            if isinstance(value, str):
                self.string(value, where, role, key, siblings)
            elif isinstance(value, dict | list):
                pending.append((value, where, depth + 1, role, key, siblings))

    def lone_string(self, mapping: dict[Any, Any]) -> str | None:
        """A shell or Python tool whose arguments are one string: that string is the program."""
        if not (self.hints.shell or self.hints.python):
            return None
        if len(mapping) > _SIBLINGS_READ:
            return None
        keys = [k for k, v in mapping.items() if isinstance(k, str) and isinstance(v, str)]
        if any(role_of(k) in (Role.SHELL, Role.CODE) for k in mapping if isinstance(k, str)):
            return None
        return keys[0] if len(keys) == 1 and role_of(keys[0]) is Role.NONE else None

    def sequence(
        self,
        items: list[Any],
        location: str,
        depth: int,
        role: Role,
        key: str,
        siblings: _Siblings,
        pending: list[Any],
    ) -> None:
        if role is Role.SHELL and _is_argv(items):
            if len(items) > limits.MAX_ARGV:
                self.facts.flag(TRUNCATED_INPUT)
            self.argv(items[: limits.MAX_ARGV], location)
            cli = self.hints.cli
            if cli and program_name(items[0]) != cli:
                self.argv([cli, *items[: limits.MAX_ARGV - 1]], location, scan=False)
            return
        for index, item in enumerate(items):
            if not self.budget():
                return
            where = f"{location}[{index}]"
            if isinstance(item, str):
                self.string(item, where, role, key, siblings)
            elif isinstance(item, list):
                pending.append((item, where, depth + 1, role, key, siblings))
            elif isinstance(item, dict):
                pending.append((item, where, depth + 1, Role.NONE, "", siblings))

    def argv(self, items: list[str], location: str, *, scan: bool = True) -> None:
        """Run an argv list; `scan` is False when its strings are scanned where they stand."""
        ctx = Context(self.facts, location)
        for index, item in enumerate(items if scan else ()):
            Context(self.facts, f"{location}[{index}]").secrets(item[: limits.MAX_TEXT])
        words = [Word(self.facts.take_text(item)) for item in items]
        ctx.argv(words, shlex.join(w.text for w in words))

    def string(self, value: str, location: str, role: Role, key: str, siblings: _Siblings) -> None:
        ctx = Context(self.facts, location)
        scanned = value[: limits.MAX_TEXT]
        if len(value) > limits.MAX_TEXT:
            self.facts.flag(TRUNCATED_INPUT)
        ctx.secrets(scanned)
        kind = credential_kind(key)
        if kind is not None and plausible_value(value[:256]) and not secret_types(value[:4096]):
            self.facts.secret(kind, location)
        if role is Role.SHELL and siblings.args is not None and value and " " not in value.strip():
            self.argv([value.strip(), *siblings.args], location, scan=False)
        elif role is Role.SHELL and not siblings.editor:
            self.program(ctx, value, siblings.language or "shell")
            self.subcommand(ctx, value, siblings.language or "shell")
        elif role is Role.CODE:
            if squash(key) == "source" and siblings.language is None and _path_like(value):
                files.add(ctx, value, key_path_op(key) or "read")
            else:
                guess = "python" if self.hints.python else None
                self.program(ctx, value, siblings.language or guess)
        elif role is Role.URL or (role is Role.PATH and has_scheme(value.strip())):
            self.url(ctx, value, siblings)
        elif role is Role.HOST or (role is Role.PATH and _ADDRESS.fullmatch(value.strip())):
            self.host(value, siblings)  # {"target": "10.0.0.0/24"} is a network, not a file
        elif role is Role.PATH and "\n" not in value:
            op = key_path_op(key) or siblings.editor or self.hints.path_op
            files.add(ctx, value.strip(), op)
        elif siblings.dotenv and squash(key) in _CONTENT_KEYS:
            self.dotenv(ctx, scanned)

    def dotenv(self, ctx: Context, text: str) -> None:
        """Each `NAME=value` line of a dotenv file is the `declare NAME=value` it amounts to."""
        for line in text.splitlines()[: limits.MAX_ARGV]:
            found = _DOTENV_LINE.fullmatch(line)
            if found is not None:
                name, value = found.group(1), found.group(2).strip()
                if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                ctx.argv([Word("declare"), Word(f"{name}={value}")], line.strip())

    def subcommand(self, ctx: Context, text: str, language: str) -> None:
        """A tool named after a CLI may be given only what follows the CLI's name
        (`kubectl` with `{"command": "get pods"}`): that reading is added to the plain one."""
        cli = self.hints.cli
        words = text.split(None, 1)
        if cli and language == "shell" and words and program_name(words[0]) != cli:
            ctx.shell(f"{cli} {text}")

    def program(self, ctx: Context, text: str, language: str | None) -> None:
        if language == "shell":
            ctx.shell(text)
        elif language is None or language == "python":
            ctx.python(text, declared=language is not None)
        else:
            self.facts.code(language, [], [])
            code.urls_in_text(ctx, self.facts.take_text(text))

    def url(self, ctx: Context, value: str, siblings: _Siblings) -> None:
        text = value.strip()
        method = siblings.method or self.hints.http_method
        method = method or ("POST" if siblings.has_body else "GET")
        url = parse_url(text, method) if looks_like_url(text) else None
        if url is not None:
            self.facts.url(url)

    def host(self, value: str, siblings: _Siblings) -> None:
        """Machines the tool connects to (`a.io`, `root@10.0.0.5`, `db:5432`, `a.io, b.io`)."""
        for text in value.split(",")[: limits.MAX_ARGV]:
            text = text.strip()
            if not text or any(c.isspace() for c in text):
                continue
            url = target(text.rpartition("@")[2], siblings.scheme, siblings.port)
            if url is not None:
                self.facts.url(url)


def collect(facts: Facts, tool: str, arguments: JSONValue) -> None:
    """Add the facts of one tool call's (parsed or recovered) arguments to `facts`."""
    hints = tool_hints(tool[:256])
    if isinstance(arguments, str):
        ctx = Context(facts, "arguments")
        ctx.secrets(arguments[: limits.MAX_TEXT])
        text = arguments.strip()
        if hints.python:
            ctx.python(arguments)
        elif has_scheme(text) and looks_like_url(text):
            url = parse_url(text, hints.http_method or "GET")
            if url is not None:
                facts.url(url)
        else:
            ctx.shell(arguments)
        return
    _Walk(facts, hints).run(arguments)
