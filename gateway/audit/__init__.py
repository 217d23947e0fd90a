"""Decision records: one JSON line per decided tool call (DESIGN.md, "Every decision is recorded").

Records arrive here with secrets found in the call already masked; the sink also replaces
every configured secret (`gateway.redact`), then seals the record into a hash chain
(`gateway.audit.chain`) and appends it.

A file is shared safely by the worker processes of one `airlock serve --workers N`: each
write takes an exclusive `flock` and continues the chain from the file's last record, which
is also how a restarted gateway continues it. Replicas on other hosts must each have their
own file (locks do not hold across a network file system). On stdout the chain is per
process: it starts again at `seq` 0 whenever the process starts.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from gateway.audit.chain import Link, link_of, seal
from gateway.errors import ConfigError
from gateway.redact import Redactor

if TYPE_CHECKING:
    from gateway.config import AuditSettings

log = logging.getLogger("airlock.audit")

TAIL_BLOCK = 64 * 1024


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
    """Appends records as chained JSON lines to a file, or to stdout when no path is given."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        redactor: Redactor | None = None,
        key: bytes | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._redactor = redactor or Redactor()
        self._key = key
        self._head = Link()
        self._end = -1  # the file size after our last write: unchanged means nobody else wrote
        self._fd: int | None = None
        self._closed = False
        if path is not None:
            try:
                self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            except OSError as exc:
                raise ConfigError(f"cannot open the audit file {path}: {exc}") from exc
            with self._locked():
                self._head = self._tail()
            if self._head.seq < 0:
                log.info("audit: starting a new chain in %s", path)
            else:
                log.info("audit: continuing the chain in %s after seq %d", path, self._head.seq)

    def write(self, record: AuditRecord) -> None:
        raw = orjson.dumps(record)
        data = orjson.loads(raw)
        if self._redactor.found_in(raw):
            data = self._redactor.data(data)
        with self._lock:
            if self._closed:
                raise ValueError("the audit sink is closed")
            with self._locked():
                if self._fd is not None:
                    self._head = self._tail()
                line, head = seal(data, self._head, self._key)
                self._append(line)
                self._head = head

    @property
    def head(self) -> Link:
        """The last record this sink wrote or found at open (another worker may be ahead)."""
        return self._head

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            log.info("audit chain head: seq=%d hash=%s", self._head.seq, self._head.hash)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _locked(self) -> _FileLock:
        return _FileLock(self._fd)

    def _append(self, line: bytes) -> None:
        if self._fd is None:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            return
        view = memoryview(line)
        while view:
            view = view[os.write(self._fd, view) :]
        self._end += len(line)  # under the file lock: nobody else wrote meanwhile

    def _tail(self) -> Link:
        """The chain end at the file's last line (under the file lock)."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size == self._end:
            return self._head
        self._end = size
        if size == 0:
            return Link()
        last = _last_line(self._fd, size)
        if not last.endswith(b"\n"):
            # A write was cut short (a crash): end it, so that the chain goes on on a new line;
            # `airlock audit verify` reports the broken line.
            log.error("audit: the file ends with an incomplete record; continuing after it")
            os.write(self._fd, b"\n")
            self._end += 1
            before = size - len(last)  # where the cut line starts
            last = _last_line(self._fd, before) if before else b""
        found = link_of(last) if last else None
        if found is None:
            log.error("audit: the last line is not a chained record; starting a new chain")
            found = Link()
        return found


class _FileLock:
    """An exclusive `flock` on the audit file, held by one writer at a time across processes."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def __enter__(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _last_line(fd: int, end: int) -> bytes:
    """The last line of the file's first `end` bytes (with its newline, if it has one)."""
    block = TAIL_BLOCK
    while True:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        cut = chunk.rfind(b"\n", 0, len(chunk) - 1)
        if cut >= 0:
            return chunk[cut + 1 :]
        if start == 0:
            return chunk
        block *= 4  # records can be large: a tool call's arguments are kept whole


def open_sink(settings: AuditSettings, redactor: Redactor | None = None) -> AuditSink:
    """The sink the settings describe, redacting with `redactor`, keyed by `audit.hmac_key`."""
    key = settings.hmac_key.get_secret_value().encode() if settings.hmac_key else None
    return AuditSink(settings.path, redactor=redactor, key=key)
