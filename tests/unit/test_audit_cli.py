"""`airlock audit verify FILE`: exit status and what it prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from tests.unit.test_audit_chain import lines, write


def test_an_intact_file_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "audit.jsonl"
    head = write(path, 4).head
    assert main(["audit", "verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"intact, 4 records; head seq 3 hash {head.hash}" in out


def test_a_removed_record_exits_one_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    write(path, 4)
    rows = lines(path)
    del rows[1]
    path.write_bytes(b"".join(rows))
    assert main(["audit", "verify", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{path}:2: seq 2 where 1 was expected")
    assert "1 records before it are intact" in captured.err


def test_a_keyed_chain_reads_its_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    key = "audit-hmac-key-0123456789abcdef"
    write(path, 2, key=key.encode())
    monkeypatch.setenv("TEST_AUDIT_KEY", key)
    assert main(["audit", "verify", str(path), "--key-env", "TEST_AUDIT_KEY"]) == 0
    assert main(["audit", "verify", str(path)]) == 1
    assert "--key-env" in capsys.readouterr().out
    monkeypatch.delenv("TEST_AUDIT_KEY")
    assert main(["audit", "verify", str(path), "--key-env", "TEST_AUDIT_KEY"]) == 2
    assert "TEST_AUDIT_KEY is not set" in capsys.readouterr().err


def test_a_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
