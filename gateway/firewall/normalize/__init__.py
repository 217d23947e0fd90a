"""Normalization: one tool call in, the facts of what it would do out (`input.action`).

Pure functions: no I/O, no clock, no logging. Every input is bounded by `limits` and no
input makes these functions raise; when an analyser cannot finish, the facts say so in
`obfuscation` (tags are listed in `facts`).

    parse_arguments(raw)          the model's arguments text → (value, error)
    normalize(name, arguments)    → ActionFacts(commands, urls, paths, code, secrets, obfuscation)
    mask_secrets(text)            every secret the scanner finds → "[REDACTED:<type>]"
    credential_kind(key)          the secret type an argument named `key` holds, if any

Modules: `arguments` (parsing and walking arguments by name) → `shell` (tree-sitter-bash) →
`commands` (wrappers, interpreters, payloads) → `http_clients`, `network` (ssh, netcat,
socat, scanners), `containers`, `scripts` (awk, Perl, Ruby, Node, PHP, AppleScript),
`schedules` (crontab, at, tmux), `transfers` (storage and hub uploads), `files`, `streams`;
`code` (Python via ast); `secrets`, `urls`, `hints`, `words`, `recover`, `limits`.
"""

from __future__ import annotations

from gateway.firewall.normalize.arguments import collect, parse_arguments
from gateway.firewall.normalize.facts import ANALYSIS_ERROR, Facts
from gateway.firewall.normalize.hints import credential_kind
from gateway.firewall.normalize.secrets import mask_secrets
from gateway.models import ActionFacts, JSONValue

__all__ = ["credential_kind", "mask_secrets", "normalize", "parse_arguments"]


def normalize(name: str, arguments: JSONValue, arguments_error: str | None = None) -> ActionFacts:
    """The facts of one tool call: `arguments` is the value `parse_arguments` returned.

    Arguments that did not parse (`arguments_error` set) arrive as the recovered value or the
    raw text, which is read as a possible command, URL or secret carrier, never skipped.
    """
    facts = Facts()
    try:
        collect(facts, name if isinstance(name, str) else str(name), arguments)
    except Exception:  # never raise on model output; the tag tells policy the facts are partial
        facts.flag(ANALYSIS_ERROR)
    return facts.result()
