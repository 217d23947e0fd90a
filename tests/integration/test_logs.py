"""Structured logs from a real gateway: every line is one JSON object, and the lines written
while serving a request carry its id, uvicorn's own lines included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.conftest import ROOT, free_port, stop, wait_for_http
from tests.integration.harness import AGENT_KEY, config, running_gateway

FIELDS = {"ts", "level", "logger", "message", "request_id"}


def chat(url: str, scenario: str) -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        json={"model": "gpt-test", "messages": [{"role": "user", "content": scenario}]},
        headers={"authorization": f"Bearer {AGENT_KEY}"},
        timeout=30,
    )


def test_every_line_is_json_and_a_failed_request_is_found_by_its_id(
    scripted_upstream: str, tmp_path: Path
) -> None:
    with running_gateway(tmp_path, config(scripted_upstream)) as gw:
        ok = chat(gw.url, "scenario:one_tool_call nonce=7")
        failed = chat(gw.url, "scenario:upstream_500")
    assert ok.status_code == 200 and failed.status_code == 502
    lines = [orjson.loads(line) for line in gw.log().splitlines()]
    assert lines and all(set(line) >= FIELDS for line in lines)
    request_id = failed.headers["x-airlock-request-id"]
    mine = [line for line in lines if line["request_id"] == request_id]
    assert mine and mine[0]["level"] == "WARNING" and mine[0]["logger"] == "airlock.api"
    assert "answered HTTP 500" in mine[0]["message"]
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.error" in loggers and "airlock" in loggers  # one formatter for both
    assert all(line["request_id"] is None for line in lines if line["logger"] == "uvicorn.error")


def test_text_format_stays_available(scripted_upstream: str, tmp_path: Path) -> None:
    port = free_port()
    settings: dict[str, Any] = {**config(scripted_upstream), "audit": {"path": None}}
    path = tmp_path / "airlock.yaml"
    path.write_bytes(orjson.dumps(settings))  # JSON is YAML
    serve = ["serve", "--config", str(path), "--port", str(port), "--log-format", "text"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", *serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", proc, timeout=60)
        failed = chat(f"http://127.0.0.1:{port}", "scenario:upstream_500")
    finally:
        stop(proc)
    assert proc.stderr is not None
    text = proc.stderr.read().decode()
    proc.stderr.close()
    request_id = failed.headers["x-airlock-request-id"]
    assert f"WARNING airlock.api [{request_id}] request {request_id} failed" in text
    assert "INFO uvicorn.error Application startup complete." in text
    assert not text.lstrip().startswith("{")
