"""Which functions a policy calls, found in its source text.

rego-cpp builds a bundle whatever functions it calls: an unknown builtin makes a rule
silently undefined (`net.cidr_contains`) or turns every evaluation into an error
(`foo.bar`). OPA is not around to type-check for the embedded engine, so we read the
modules ourselves: a small tokenizer (comments, strings and raw strings skipped, bracket
depth tracked) finds every `name(` and `a.b.c(`. A name at the start of a top-level
statement is a function the policy defines; any other is a call, resolved through the
module's package and imports. What resolves to no function of the policy is a builtin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import takewhile

_TOKEN = re.compile(
    r"""(?P<nl>\n)
      | (?P<ws>[ \t\r\f]+)
      | (?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*")
      | (?P<raw>`[^`]*`)
      | (?P<ref>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<open>[(\[{])
      | (?P<close>[)\]}])
      | (?P<other>.)""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    {"as", "contains", "default", "else", "every", "false", "if", "import", "in", "not",
     "null", "package", "some", "true", "with"}
)  # fmt: skip


@dataclass(slots=True)
class PolicyCalls:
    """Functions a policy defines and calls, as full `data.` paths or builtin names."""

    defined: set[str] = field(default_factory=set)
    builtins: set[str] = field(default_factory=set)  # calls resolving to no policy function
    data_calls: set[str] = field(default_factory=set)  # calls into `data.…`

    @property
    def undefined(self) -> set[str]:
        """Calls into `data.…` that no module defines."""
        return self.data_calls - self.defined


@dataclass(slots=True)
class _Module:
    package: str = "data"
    aliases: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)


def scan_calls(modules: Mapping[str, str]) -> PolicyCalls:
    """Find the functions `modules` define and call (see the module docstring)."""
    result = PolicyCalls()
    parsed = [_scan(text, result.defined) for text in modules.values()]
    for module in parsed:
        for call in module.calls:
            full = _resolve(call, module, result.defined)
            if full is None:
                result.builtins.add(call)
            else:
                result.data_calls.add(full)
    return result


def _resolve(call: str, module: _Module, defined: set[str]) -> str | None:
    head, _, rest = call.partition(".")
    if head == "data":
        return call
    if head in module.aliases:
        return f"{module.aliases[head]}.{rest}" if rest else module.aliases[head]
    local = f"{module.package}.{call}"
    return local if local in defined else None


def _tokens(text: str) -> list[tuple[str, str]]:
    return [
        (kind, match.group())
        for match in _TOKEN.finditer(text)
        if (kind := match.lastgroup or "other") not in ("ws", "comment")
    ]


def _scan(text: str, defined: set[str]) -> _Module:
    module = _Module()
    tokens = _tokens(text)
    depth, at_start, previous = 0, True, ""
    for i, (kind, value) in enumerate(tokens):
        if kind == "nl":
            at_start = at_start or depth == 0
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "ref" and at_start and value in ("package", "import"):
            _directive(value, tokens[i + 1 :], module)
        elif kind == "ref" and value not in _KEYWORDS and previous != ".":
            is_call = i + 1 < len(tokens) and tokens[i + 1][1] == "("
            if is_call and at_start and depth == 0:
                defined.add(f"{module.package}.{value}")
            elif is_call:
                module.calls.append(value)
        if kind == "ref" and value in ("default", "package", "import"):
            previous = value
            continue
        at_start, previous = False, value
    return module


def _directive(keyword: str, rest: list[tuple[str, str]], module: _Module) -> None:
    line = takewhile(lambda token: token[0] != "nl", rest)
    words = [value for kind, value in line if kind == "ref"]
    if not words:
        return
    if keyword == "package":
        module.package = f"data.{words[0]}"
        return
    target = words[0]
    if not target.startswith("data."):
        return  # `import input…`, `import rego.v1`, `import future.keywords…`
    alias = words[2] if len(words) >= 3 and words[1] == "as" else target.rsplit(".", 1)[-1]
    module.aliases[alias] = target


def usage_fields_read(modules: Mapping[str, str]) -> frozenset[str] | None:
    """The fields of `input.usage` the policy reads, or None when it may read any of them.

    Only `input.usage.<field>` names a field; `input`, `input.usage` or `input[…]` taken
    whole (or imported) may reach every field.
    """
    fields: set[str] = set()
    for text in modules.values():
        tokens = _tokens(text)
        for i, (kind, value) in enumerate(tokens):
            if kind != "ref" or not (value == "input" or value.startswith("input.")):
                continue
            if i and tokens[i - 1][1] == ".":
                continue  # a field named input, as in `x.input`
            parts = value.split(".")
            if parts[:2] == ["input", "usage"] and len(parts) > 2:
                fields.add(parts[2])
            elif len(parts) < 3 and parts[1:2] in ([], ["usage"]):
                return None
    return frozenset(fields)
