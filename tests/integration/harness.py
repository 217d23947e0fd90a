"""Starting real gateway processes for integration tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import yaml

from tests.conftest import ROOT, free_port, stop, wait_for_http

AGENT_KEY = "agent-key-for-tests-0123456789"
PROVIDER_KEY = "sk-provider-key-for-tests-0123456789"


@dataclass
class Gateway:
    url: str  # http://127.0.0.1:PORT
    audit_path: Path
    log_path: Path
    _sdk: openai.OpenAI | None = None

    def sdk(self) -> openai.OpenAI:
        """One `openai` client for this gateway (agent key), closed when the gateway stops."""
        if self._sdk is None:
            self._sdk = openai.OpenAI(
                base_url=self.base_url, api_key=AGENT_KEY, max_retries=0, timeout=60
            )
        return self._sdk

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def chat(self, text: str, key: str = AGENT_KEY, **extra: Any) -> httpx.Response:
        """`text` as the user message to `gpt-test` (a `scenario:` directive), over plain HTTP."""
        return httpx.post(
            self.base_url + "/chat/completions",
            json={"model": "gpt-test", "messages": [{"role": "user", "content": text}], **extra},
            headers={"authorization": f"Bearer {key}"},
            timeout=30,
        )

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        return [orjson.loads(line) for line in self.audit_path.read_bytes().splitlines()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    """The first truthy answer of `probe`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def config(upstream: str, **sections: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model_list": [
            {
                "model_name": "gpt-test",
                "litellm_params": {
                    "model": "openai/gpt-4o",
                    "api_base": upstream,
                    "api_key": PROVIDER_KEY,
                },
            }
        ],
        "keys": [{"key": AGENT_KEY, "agent": "test-agent", "team": "test-team"}],
        "policy": {"engine": "embedded", "paths": [str(ROOT / "rego")]},
        # Escalations answer at once unless a test holds them on purpose.
        "approvals": {"mode": "async"},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return base


@contextmanager
def running_gateway(
    tmp: Path, settings: dict[str, Any], serve_args: Sequence[str] = ()
) -> Iterator[Gateway]:
    """One `airlock serve` process on a free port, with its audit file and log in `tmp`;
    `serve_args` are further options for `airlock serve` (e.g. `--workers 2`)."""
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    audit_path, log_path = tmp / f"audit-{port}.jsonl", tmp / f"gateway-{port}.log"
    settings = {**settings, "audit": {"path": str(audit_path)}}
    config_path = tmp / f"airlock-{port}.yaml"
    config_path.write_text(yaml.safe_dump(settings))
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "serve",
                "--config",
                str(config_path),
                "--port",
                str(port),
                *serve_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        gateway = Gateway(url, audit_path, log_path)
        try:
            wait_for_http(url + "/readyz", proc, timeout=60)
            yield gateway
        finally:
            if gateway._sdk is not None:
                gateway._sdk.close()
            stop(proc)
