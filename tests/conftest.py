"""Shared test plumbing: real services, found or skipped loudly (never skipped in CI)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["tests.fixtures.plugin"]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_service(what: str) -> None:
    """Skip outside CI, fail in CI: CI installs every service the tests need."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"SKIPPED LOUDLY: {what} is not available on this machine")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def opa_binary() -> str | None:
    candidates = [os.environ.get("AIRLOCK_OPA_BIN"), str(ROOT / ".tools" / "bin" / "opa")]
    for c in candidates:
        if c and Path(c).is_file():
            return c
    return shutil.which("opa")


@pytest.fixture(scope="session")
def opa_bin() -> str:
    found = opa_binary()
    if found is None:
        missing_service("the OPA binary (make opa)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def opa_server(opa_bin: str) -> Iterator[str]:
    """A real `opa run --server` on rego/, for the whole session."""
    port = free_port()
    proc = subprocess.Popen(
        [
            opa_bin,
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
            str(ROOT / "rego"),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", proc)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable
