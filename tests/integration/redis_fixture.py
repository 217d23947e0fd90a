"""A real redis-server for tests: started in a temp dir on a port of our choosing.

`RedisServer(port, dir)` can be stopped and started again on the same port (to test what
happens while Redis is away); the session fixture `redis_server` yields the URL of one server
shared by the whole session. Tests keep apart by using a key prefix of their own.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import free_port, missing_service, stop


def redis_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """One redis-server process on a fixed port, without persistence."""

    def __init__(
        self,
        port: int,
        directory: Path,
        binary: str = "redis-server",
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = port
        self.directory = directory
        self.binary = binary
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        if self.proc is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server on {self.port} exited with {self.proc.returncode}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on {self.port} did not come up within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_redis(
    directory: Path, port: int | None = None, extra_args: Sequence[str] = ()
) -> RedisServer:
    """A started server (skipped loudly, or failed in CI, when redis-server is missing)."""
    binary = redis_binary()
    if binary is None:
        missing_service("redis-server")
    assert binary is not None
    server = RedisServer(port or free_port(), directory, binary, extra_args)
    server.start()
    return server


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own, to stop, restart or cut off."""
    server = start_redis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a redis-server shared by the test session."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()
