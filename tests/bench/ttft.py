"""Time to first token of a streamed answer, with a raw-socket HTTP/1.1 client.

wrk times whole responses; an agent streaming text cares when the first words arrive. This
client sends `scenario:text` with `stream: true` over one keep-alive connection, one request
after another, and takes the time from just before the request is written to the `recv` that
delivered the first `data:` line whose delta carries non-empty content. It then reads the
stream to its end, so a stream without `data: [DONE]` counts as an error. A blocking socket
and no HTTP library keep the client's own cost small and the same for every target.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import orjson

from tests.bench.latency import Row
from tests.bench.machine import CpuMeter, load1
from tests.bench.stack import MODEL, Target

_BODY = orjson.dumps(
    {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "scenario:text"}]}
)


class StreamError(Exception):
    """The answer was not a complete 200 stream with content."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class _Connection:
    """One HTTP/1.1 connection; `recv` remembers when the last bytes arrived."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.at = 0.0

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        self.at = time.perf_counter()
        if not data:
            raise StreamError("connection closed mid-answer")
        self.buf += data

    def line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        out = bytes(self.buf[:end])
        del self.buf[: end + 2]
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def some(self) -> bytes:
        if not self.buf:
            self._fill()
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def close(self) -> None:
        self.sock.close()


def _first_content(line: bytes) -> bool:
    payload = line[5:].strip()
    if payload == b"[DONE]" or not payload:
        return False
    choices = orjson.loads(payload).get("choices") or []
    return any((c.get("delta") or {}).get("content") for c in choices)


def _body_pieces(conn: _Connection, headers: dict[str, str]) -> Iterator[bytes]:
    """The body as it arrives: de-chunked pieces (chunked, content-length or until close)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int(conn.line().split(b";")[0], 16):
            yield conn.exactly(size)
            conn.exactly(2)
        while conn.line():  # trailers end with an empty line
            pass
    elif "content-length" in headers:
        left = int(headers["content-length"])
        while left > 0:
            piece = conn.some()[:left]
            left -= len(piece)
            yield piece
    else:
        try:
            while True:
                yield conn.some()
        except StreamError:
            return


def exchange(conn: _Connection, request: bytes) -> tuple[float, bool]:
    """One streamed request: (seconds to the first content, whether to keep the connection)."""
    started = time.perf_counter()
    conn.sock.sendall(request)
    status_line = conn.line().decode("latin-1")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while line := conn.line():
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    first: float | None = None
    done = False
    pending = b""
    for piece in _body_pieces(conn, headers):
        arrived = conn.at
        pending += piece
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r")
            if not line.startswith(b"data:"):
                continue
            if line[5:].strip() == b"[DONE]":
                done = True
            elif first is None and _first_content(line):
                first = arrived - started
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    framed = chunked or "content-length" in headers  # else the body ended with the connection
    keep = framed and headers.get("connection", "").lower() != "close"
    if status != 200:
        raise StreamError(f"status {status}", status)
    if first is None or not done:
        raise StreamError("stream without content" if first is None else "no data: [DONE]")
    return first, keep


def measure_ttft(target: Target, requests: int, timeout: float = 10) -> Row:
    """`requests` sequential streamed requests; p50/p99 of their time to first token."""
    load = load1()
    started = time.perf_counter()
    with CpuMeter() as cpu:
        samples, non_2xx, errors = _run(target, requests, timeout)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else []
    return Row(
        target.name,
        target.backend,
        target.engine,
        "ttft",
        1,
        requests=len(samples),
        rps=round(len(samples) / elapsed, 1),
        p50_ms=round(statistics.median(samples), 4) if samples else 0.0,
        p99_ms=round(cuts[98], 4) if cuts else (samples[0] if samples else 0.0),
        non_2xx=non_2xx,
        errors=errors,
        load1=load,
        others_cpu=cpu.others,
        p90_ms=round(cuts[89], 4) if cuts else 0.0,
    )


def _run(target: Target, requests: int, timeout: float) -> tuple[list[float], int, int]:
    """Times to first token (ms) of the complete answers, non-2xx answers, other failures."""
    parts = urlsplit(target.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {target.key}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(_BODY)}\r\n\r\n"
    ).encode() + _BODY
    samples: list[float] = []
    non_2xx = errors = 0
    conn: _Connection | None = None
    for _ in range(requests):
        try:
            conn = conn or _Connection(host, port, timeout)
            seconds, keep = exchange(conn, request)
            samples.append(seconds * 1000)
        except (StreamError, OSError, ValueError) as exc:
            if isinstance(exc, StreamError) and exc.status not in (0, 200):
                non_2xx += 1
            else:
                errors += 1
            keep = False
        if not keep and conn is not None:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    return samples, non_2xx, errors
