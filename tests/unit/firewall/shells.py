"""The facts of a bash tool call, as most normalizer tests ask for them."""

from __future__ import annotations

from gateway.firewall.normalize import normalize
from gateway.models import ActionFacts


def shell(command: str) -> ActionFacts:
    return normalize("bash", {"command": command})


def programs(command: str) -> list[str]:
    return [c.program for c in shell(command).commands]
