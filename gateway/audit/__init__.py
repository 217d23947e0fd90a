"""Decision records: one JSON line per decided tool call (DESIGN.md, "Every decision is recorded").

Records arrive here with secrets already masked; sinks only serialize and write.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson


@dataclass(slots=True)
class AuditRecord:
    request_id: str
    agent: str
    team: str | None
    tool_call_id: str
    tool_name: str
    arguments: Any  # masked
    arguments_error: str | None
    facts: Any  # masked ActionFacts as JSON data
    decision: str  # what the policy said
    enforced: str  # "allow" | "block": what the agent got
    rules: list[str]
    reasons: list[dict[str, str]]
    engine: str
    policy_revision: str
    latency_ms: float
    mode: str
    approval_id: str | None = None
    ts: float = field(default_factory=time.time)


class AuditSink:
    """Appends records as JSON lines to a file, or to stdout when no path is configured."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._owned = path is not None
        self._out: IO[bytes] = path.open("ab") if path is not None else sys.stdout.buffer

    def write(self, record: AuditRecord) -> None:
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            self._out.write(line)
            self._out.flush()

    def close(self) -> None:
        if self._owned:
            self._out.close()
