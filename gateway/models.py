"""Domain types shared across packages.

This module imports nothing from the package. Everything that crosses a package line
(`firewall` → `policy`, `firewall` → `audit`) is one of these, never a loose dict.
They are plain dataclasses so that `orjson.dumps` serializes them natively, which is
how they become the Rego `input` (DESIGN.md, "Policy input").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["allow", "deny", "escalate"]
PathOp = Literal["read", "write", "exec", "delete"]
JSONValue = Any  # tool-call arguments are arbitrary JSON chosen by the model


@dataclass(slots=True)
class ToolCall:
    """One tool call emitted by the model, as the agent would receive it."""

    id: str
    name: str
    arguments: str  # the raw JSON text the model produced


@dataclass(slots=True)
class Command:
    program: str  # basename, wrappers (sudo, env, timeout, …) stripped
    argv: list[str]
    raw: str


@dataclass(slots=True)
class Url:
    method: str
    scheme: str
    host: str
    path: str
    query: str = ""
    port: int | None = None  # only when the request names one (`:8443`, `nc host 4444`)


@dataclass(slots=True)
class PathAccess:
    path: str
    op: PathOp


@dataclass(slots=True)
class CodeFacts:
    language: str
    imports: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Secret:
    type: str  # e.g. "aws_access_key_id"; the value itself is never kept
    at: str  # where it was found, e.g. "arguments.command"


@dataclass(slots=True)
class ActionFacts:
    """What a tool call would do, as `input.action`."""

    commands: list[Command] = field(default_factory=list)
    urls: list[Url] = field(default_factory=list)
    paths: list[PathAccess] = field(default_factory=list)
    code: CodeFacts | None = None
    secrets: list[Secret] = field(default_factory=list)
    obfuscation: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Agent:
    id: str
    team: str | None = None


@dataclass(slots=True)
class RequestInfo:
    id: str
    model: str
    endpoint: str
    stream: bool


@dataclass(slots=True)
class ToolCallInput:
    id: str
    name: str
    arguments: JSONValue  # parsed JSON, or the raw text when it did not parse
    arguments_error: str | None = None


@dataclass(slots=True)
class Usage:
    """The agent's recent activity, as `input.usage`, for rules that look at behaviour."""

    tool_calls_last_minute: int = 0
    denials_last_hour: int = 0
    escalations_last_hour: int = 0
    spend_today_usd: float = 0.0
    # Seconds since each of the agent's most recent denials (newest first, at most 100, last
    # hour), so that a rule can count denials in a window of its own choosing.
    recent_denials_seconds_ago: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PolicyInput:
    """The Rego `input` document, version 1."""

    agent: Agent
    request: RequestInfo
    tool_call: ToolCallInput
    action: ActionFacts
    usage: Usage = field(default_factory=Usage)
    version: int = 1


@dataclass(slots=True, frozen=True)
class Reason:
    rule: str
    category: str
    message: str


@dataclass(slots=True)
class Decision:
    action: Action
    reasons: list[Reason] = field(default_factory=list)
