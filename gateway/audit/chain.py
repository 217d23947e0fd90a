"""The audit hash chain: how a record is sealed, and how a file of records is verified.

Each line is one JSON object carrying `seq` (0, 1, 2, …), `prev` (the previous record's
`hash`; 64 zeros for the first) and `hash`: the SHA-256 of the record's canonical JSON
without `hash` (keys sorted, orjson's compact form), or its HMAC-SHA256 when the chain is
keyed (`audit.hmac_key`). `hash` is written last, so a line is exactly
`canonical[:-1] + ',"hash":"…"}'`; a record edited in any way, even re-spaced, no longer
verifies. Removing, inserting, repeating or reordering records breaks `seq` or `prev`.

Without a key anyone who can rewrite the file can recompute the whole chain; with a key they
also need the key. Neither can detect records cut from the end: compare the head that
`verify` reports with one kept elsewhere (the gateway logs its head when it stops).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Link:
    """The end of a chain: the last record's `seq` and `hash` (-1 and GENESIS when empty)."""

    seq: int = -1
    hash: str = GENESIS


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash covers: its JSON without `hash`, keys sorted."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def digest(body: bytes, key: bytes | None = None) -> str:
    if key:
        return hmac.new(key, body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def sealed_line(body: bytes, hash_: str) -> bytes:
    """The line written for a canonical body: `hash` appended as the last key."""
    return body[:-1] + b',"hash":"' + hash_.encode() + b'"}\n'


def seal(record: dict[str, Any], after: Link, key: bytes | None = None) -> tuple[bytes, Link]:
    """Chain `record` (a JSON object without seq/prev/hash) after `after`: (line, new end)."""
    record["seq"] = after.seq + 1
    record["prev"] = after.hash
    body = canonical(record)
    hash_ = digest(body, key)
    return sealed_line(body, hash_), Link(after.seq + 1, hash_)


def link_of(line: bytes) -> Link | None:
    """The chain end a complete line records, or None if it is not a sealed record."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    seq, hash_ = record.get("seq"), record.get("hash")
    if type(seq) is not int or not isinstance(hash_, str):
        return None
    return Link(seq, hash_)


@dataclass(frozen=True, slots=True)
class Report:
    """What `verify` found: the records read, the chain head, and the first problem."""

    records: int
    head: Link
    line: int | None = None  # 1-based number of the first bad line
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(lines: Iterable[bytes], key: bytes | None = None) -> Report:
    """Check a chain line by line (each line with its newline) and stop at the first problem."""
    head = Link()
    number = 0
    for number, raw in enumerate(lines, 1):
        problem = _check(raw, head, key)
        if isinstance(problem, str):
            if number == 1 and problem.startswith("record changed"):
                problem += (
                    "; if the gateway has audit.hmac_key, the key is wrong"
                    if key
                    else "; if the gateway has audit.hmac_key, pass it with --key-env"
                )
            return Report(number - 1, head, number, problem)
        head = problem
    return Report(number, head)


def _check(raw: bytes, head: Link, key: bytes | None) -> Link | str:
    """The new head if this line continues the chain after `head`, else what is wrong."""
    if not raw.endswith(b"\n"):
        return "incomplete last line (a write was cut short)"
    if not raw.strip():
        return "blank line"
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "not valid JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    hash_ = record.pop("hash", None)
    seq, prev = record.get("seq"), record.get("prev")
    if not isinstance(hash_, str) or type(seq) is not int or not isinstance(prev, str):
        return "not a chained record (no seq, prev or hash)"
    body = canonical(record)
    if not hmac.compare_digest(hash_.encode(), digest(body, key).encode()):
        return "record changed: its hash does not match its content"
    if sealed_line(body, hash_) != raw:
        return "record edited: the line is not in the form the gateway writes"
    expected = head.seq + 1
    if seq > expected:
        return f"seq {seq} where {expected} was expected: records are missing before this one"
    if seq < expected:
        return f"seq {seq} where {expected} was expected: a record is repeated or out of order"
    if prev != head.hash:
        return "prev is not the hash of the record before it: a record was replaced or inserted"
    return Link(seq, hash_)
