"""The audit sink's hash chain: sealing, continuing after a restart, concurrency, tampering."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from gateway.audit import TAIL_BLOCK, AuditRecord, AuditSink
from gateway.audit.chain import GENESIS, Link, canonical, digest, verify
from gateway.redact import Redactor
from tests.conftest import ROOT


def record(n: int, **fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "request_id": f"req_{n}",
        "agent": "bot",
        "team": None,
        "tool_call_id": f"call_{n}",
        "tool_name": "bash",
        "arguments": {"command": f"echo {n}"},
        "arguments_error": None,
        "facts": {},
        "decision": "allow",
        "enforced": "allow",
        "rules": [],
        "reasons": [],
        "engine": "fake",
        "policy_revision": "rev",
        "latency_ms": 0.5,
        "mode": "enforce",
        **fields,
    }
    return AuditRecord(**values)  # type: ignore[arg-type]


def write(path: Path, count: int, key: bytes | None = None, start: int = 0) -> AuditSink:
    sink = AuditSink(path, key=key)
    for n in range(start, start + count):
        sink.write(record(n))
    sink.close()
    return sink


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def check(path: Path, key: bytes | None = None) -> tuple[int | None, str | None, int]:
    with path.open("rb") as f:
        report = verify(f, key)
    return report.line, report.problem, report.records


def test_records_are_sealed_into_a_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    parsed = [orjson.loads(line) for line in lines(path)]
    assert [r["seq"] for r in parsed] == [0, 1, 2]
    assert parsed[0]["prev"] == GENESIS
    assert [r["prev"] for r in parsed[1:]] == [r["hash"] for r in parsed[:-1]]
    for r in parsed:
        hash_ = r.pop("hash")
        assert hash_ == digest(canonical(r))
    assert check(path) == (None, None, 3)


def test_the_chain_continues_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first = write(path, 2)
    assert first.head.seq == 1
    second = AuditSink(path)
    assert second.head == first.head  # read from the file's last line at open
    second.write(record(2))
    second.close()
    assert check(path) == (None, None, 3)


def test_a_large_last_record_is_found_at_open(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = AuditSink(path)
    sink.write(record(0, arguments={"content": "x" * (TAIL_BLOCK * 5)}))
    sink.close()
    write(path, 1, start=1)
    assert check(path) == (None, None, 2)


def test_threads_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = AuditSink(path)

    def work(base: int) -> None:
        for n in range(100):
            sink.write(record(base + n))

    threads = [threading.Thread(target=work, args=(i * 1000,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()
    assert check(path) == (None, None, 800)


WRITER = """
import sys, time
from pathlib import Path
from gateway.audit import AuditSink
from tests.unit.test_audit_chain import record
path, base, go = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
sink = AuditSink(path)
while not go.exists():
    time.sleep(0.001)
deadline = time.monotonic() + 0.5
n = 0
while time.monotonic() < deadline:
    sink.write(record(base + n))
    n += 1
sink.close()
print(n)
"""


def test_processes_share_one_file_through_the_file_lock(tmp_path: Path) -> None:
    """The worker processes of one `airlock serve --workers N` append to one chain."""
    path, go = tmp_path / "audit.jsonl", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(i * 1_000_000), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        for i in range(3)
    ]
    time.sleep(0.5)  # every writer has opened the file (and read its empty tail)
    go.touch()
    counts = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert check(path) == (None, None, sum(counts))
    writers = [int(orjson.loads(row)["request_id"][4:]) // 1_000_000 for row in lines(path)]
    assert sum(a != b for a, b in itertools.pairwise(writers)) > 2  # interleaved


def test_configured_secrets_are_redacted_before_sealing(tmp_path: Path) -> None:
    secret = "sk-configured-secret-0123456789"
    path = tmp_path / "audit.jsonl"
    sink = AuditSink(path, redactor=Redactor.configured([secret]))
    sink.write(
        record(
            0,
            arguments={"command": f"curl -H 'x: {secret}'", secret: 1},
            reasons=[{"rule": "r", "category": "c", "message": f"saw {secret}"}],
        )
    )
    sink.close()
    text = path.read_text()
    assert secret not in text and text.count("[REDACTED:configured]") == 3
    assert check(path) == (None, None, 1)


def test_a_keyed_chain_needs_the_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    key = b"audit-hmac-key-0123456789abcdef"
    write(path, 3, key=key)
    assert check(path, key) == (None, None, 3)
    line, problem, _ = check(path)
    assert line == 1 and problem is not None and "--key-env" in problem
    line, problem, _ = check(path, b"another-key-0123456789abcdefgh")
    assert line == 1 and problem is not None and "key is wrong" in problem


def test_a_rewritten_keyed_chain_does_not_verify(tmp_path: Path) -> None:
    """Someone who can rewrite the file but lacks the key recomputes an unkeyed chain."""
    path = tmp_path / "audit.jsonl"
    key = b"audit-hmac-key-0123456789abcdef"
    write(path, 3, key=key)
    forged, head = [], Link()
    for raw in lines(path):
        r = orjson.loads(raw)
        del r["hash"]
        r["decision"] = "deny"
        r["prev"] = head.hash
        body = canonical(r)
        head = Link(r["seq"], digest(body))
        forged.append(body[:-1] + b',"hash":"' + head.hash.encode() + b'"}\n')
    path.write_bytes(b"".join(forged))
    assert check(path)[1] is None  # unkeyed, the forgery is self-consistent
    assert check(path, key)[0] == 1


def tamper(path: Path, how: str) -> None:
    rows = lines(path)
    if how == "change":
        r = orjson.loads(rows[2])
        r["decision"] = "deny"
        rows[2] = orjson.dumps(r) + b"\n"
    elif how == "respace":
        rows[2] = rows[2].replace(b'","', b'", "', 1)
    elif how == "remove":
        del rows[2]
    elif how == "remove_first":
        del rows[0]
    elif how == "duplicate":
        rows.insert(3, rows[2])
    elif how == "swap":
        rows[2], rows[3] = rows[3], rows[2]
    elif how == "insert":
        r = orjson.loads(rows[2])
        del r["hash"]
        r["tool_call_id"] = "call_forged"
        rows.insert(3, canonical(r)[:-1] + b',"hash":"' + digest(canonical(r)).encode() + b'"}\n')
    elif how == "blank":
        rows.insert(2, b"\n")
    elif how == "garbage":
        rows[2] = b"{not json\n"
    elif how == "no_hash":
        r = orjson.loads(rows[2])
        del r["hash"]
        rows[2] = orjson.dumps(r) + b"\n"
    path.write_bytes(b"".join(rows))


@pytest.mark.parametrize(
    ("how", "line", "why"),
    [
        ("change", 3, "record changed"),
        ("respace", 3, "record edited"),
        ("remove", 3, "records are missing"),
        ("remove_first", 1, "records are missing"),
        ("duplicate", 4, "repeated or out of order"),
        ("swap", 3, "records are missing"),
        ("insert", 4, "repeated or out of order"),
        ("blank", 3, "blank line"),
        ("garbage", 3, "not valid JSON"),
        ("no_hash", 3, "not a chained record"),
    ],
)
def test_tampering_is_found_at_its_first_line(
    tmp_path: Path, how: str, line: int, why: str
) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 6)
    tamper(path, how)
    found, problem, intact = check(path)
    assert found == line and problem is not None and why in problem
    assert intact == line - 1


def test_a_renumbered_insertion_breaks_prev(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    rows = lines(path)
    r = orjson.loads(rows[1])
    del r["hash"]
    r["decision"] = "deny"  # a replaced record, resealed with a valid hash of its own
    r["prev"] = "f" * 64
    body = canonical(r)
    rows[1] = body[:-1] + b',"hash":"' + digest(body).encode() + b'"}\n'
    path.write_bytes(b"".join(rows))
    found, problem, _ = check(path)
    assert found == 2 and problem is not None and "prev is not the hash" in problem


def test_a_cut_write_is_ended_at_open_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    with path.open("ab") as f:
        f.write(b'{"request_id":"req_cut","se')
    with caplog.at_level(logging.ERROR, "airlock.audit"):
        sink = AuditSink(path)
    assert sink.head.seq == 1 and "incomplete record" in caplog.text
    sink.write(record(2))
    sink.close()
    found, problem, _ = check(path)
    assert found == 3 and problem == "not valid JSON"
    rows = lines(path)
    assert orjson.loads(rows[3])["seq"] == 2  # the chain went on after the cut line


def test_an_unchained_file_starts_a_new_chain(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b'{"request_id":"old"}\n')
    with caplog.at_level(logging.ERROR, "airlock.audit"):
        sink = AuditSink(path)
    assert sink.head == Link() and "not a chained record" in caplog.text
    sink.close()


def test_an_incomplete_last_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    path.write_bytes(path.read_bytes()[:-1])
    assert check(path)[:2] == (2, "incomplete last line (a write was cut short)")


def test_an_empty_file_is_intact(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.touch()
    assert check(path) == (None, None, 0)


def test_stdout_sink_chains_in_process(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    sink = AuditSink()
    for n in range(3):
        sink.write(record(n))
    sink.close()
    out = capsysbinary.readouterr().out
    assert verify(out.splitlines(keepends=True)).records == 3


def test_a_closed_sink_refuses_records(tmp_path: Path) -> None:
    sink = write(tmp_path / "audit.jsonl", 1)
    sink.close()  # a second close is harmless
    with pytest.raises(ValueError, match="closed"):
        sink.write(record(1))
