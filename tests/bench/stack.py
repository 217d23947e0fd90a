"""The processes a benchmark runs against: scripted upstream, gateways, LiteLLM proxy, Redis, OPA.

`Stack` starts each one on a free loopback port with its log in a work directory and stops
them all (last started, first stopped) when the `with` block ends. A `Target` is what wrk and
the TTFT client drive: an OpenAI-compatible base URL, a bearer key and, for RSS, a pid.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.conftest import ROOT, free_port, opa_binary, stop, wait_for_http
from tests.integration.redis_fixture import RedisServer, redis_binary

UPSTREAM = ROOT / "tests" / "fixtures" / "upstream.py"
UPSTREAM_KEY = "sk-upstream-bench-0123456789"
AGENT_KEY = "bench-agent-key-0123456789"  # the gateway refuses keys under 20 characters
LITELLM_KEY = "sk-litellm-bench-master-0123456789"
MODEL = "bench"


class ServiceError(RuntimeError):
    """A service did not start or does not answer as the benchmark needs."""


@dataclass(frozen=True)
class Target:
    """One thing to measure: `direct`, `gateway` (with its backend and engine) or `litellm`."""

    name: str
    url: str  # base URL ending in /v1
    key: str
    pid: int | None = None
    backend: str = "-"
    engine: str = "-"

    @property
    def label(self) -> str:
        return self.name if self.name != "gateway" else f"gateway/{self.engine}/{self.backend}"


@dataclass(frozen=True)
class GatewayConfig:
    """Which policy engine and which state backend a gateway runs with."""

    engine: str  # embedded | opa
    backend: str  # memory | redis

    @property
    def name(self) -> str:
        return f"{self.engine}-{self.backend}"

    @classmethod
    def parse(cls, name: str) -> GatewayConfig:
        engine, _, backend = name.partition("-")
        if engine not in ("embedded", "opa") or backend not in ("memory", "redis"):
            raise ValueError(f"{name!r}: expected <embedded|opa>-<memory|redis>")
        return cls(engine, backend)


class Stack:
    """Starts services in `work` and stops them all on exit."""

    def __init__(
        self, work: Path, airlock: Path, litellm: Path, rego: Path = ROOT / "rego"
    ) -> None:
        self.work = work
        self.rego = rego
        self.airlock = airlock
        self.litellm = litellm
        self._exit = ExitStack()
        self._redis: RedisServer | None = None
        self._opa_url: str | None = None
        self.upstream_url = ""

    def __enter__(self) -> Stack:
        self.work.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def _start(
        self, name: str, cmd: list[str], health: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = self.work / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            wait_for_http(health, proc, timeout=120)
        except RuntimeError as exc:
            stop(proc)
            tail = log.read_text(errors="replace")[-3000:]
            raise ServiceError(f"{name}: {exc}\n--- {log} ---\n{tail}") from None
        self._exit.callback(stop, proc)
        return proc

    def upstream(self) -> Target:
        port = free_port()
        proc = self._start(
            "upstream",
            [sys.executable, str(UPSTREAM), "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
        )
        self.upstream_url = f"http://127.0.0.1:{port}/v1"
        return Target("direct", self.upstream_url, UPSTREAM_KEY, proc.pid)

    def redis_url(self) -> str:
        if self._redis is None:
            binary = redis_binary()
            if binary is None:
                raise ServiceError("redis-server is not installed (make services)")
            self._redis = RedisServer(free_port(), self.work / "redis", binary)
            self._redis.start()
            self._exit.callback(self._redis.stop)
        return self._redis.url

    def opa_url(self) -> str:
        if self._opa_url is None:
            binary = opa_binary()
            if binary is None:
                raise ServiceError("the OPA binary is missing (make opa)")
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            cmd = [binary, "run", "--server", "--addr", f"127.0.0.1:{port}"]
            self._start("opa", [*cmd, "--log-level", "error", str(self.rego)], f"{url}/health")
            self._opa_url = url
        return self._opa_url

    def gateway(self, config: GatewayConfig, workers: int = 1, tag: str = "") -> Target:
        """`airlock serve` on a generated config; ready once `/readyz` says the policy loaded."""
        name = f"gateway-{config.name}{tag}"
        port = free_port()
        policy = {"engine": config.engine, "paths": [str(self.rego)]}
        if config.engine == "opa":
            policy["opa_url"] = self.opa_url()
        settings: dict[str, object] = {
            "model_list": [_model_entry(self.upstream_url, UPSTREAM_KEY)],
            "keys": [{"key": AGENT_KEY, "agent": "bench", "team": "bench"}],
            "policy": policy,
            "audit": {"path": str(self.work / f"{name}-audit.jsonl")},
            "server": {"host": "127.0.0.1", "port": port},
        }
        if config.backend == "redis":
            settings["state"] = {"redis_url": self.redis_url()}
        path = self.work / f"{name}.yaml"
        path.write_text(yaml.safe_dump(settings, sort_keys=False))
        cmd = [str(self.airlock), "serve", "--config", str(path)]
        if workers > 1:
            cmd += ["--workers", str(workers)]
        proc = self._start(name, cmd, f"http://127.0.0.1:{port}/readyz")
        url = f"http://127.0.0.1:{port}/v1"
        return Target("gateway", url, AGENT_KEY, proc.pid, config.backend, config.engine)

    def litellm_proxy(self) -> Target:
        """LiteLLM proxy, one worker, no database, telemetry off, the local cost map."""
        port = free_port()
        settings = {
            "model_list": [_model_entry(self.upstream_url, UPSTREAM_KEY)],
            "litellm_settings": {"telemetry": False},
            "general_settings": {"master_key": LITELLM_KEY},
        }
        path = self.work / "litellm.yaml"
        path.write_text(yaml.safe_dump(settings, sort_keys=False))
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY_DISABLED": "true"}
        cmd = [str(self.litellm), "--config", str(path), "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--num_workers", "1"]
        proc = self._start("litellm", cmd, f"http://127.0.0.1:{port}/health/liveliness", env)
        return Target("litellm", f"http://127.0.0.1:{port}/v1", LITELLM_KEY, proc.pid)


def _model_entry(api_base: str, api_key: str) -> dict[str, object]:
    params = {"model": f"openai/{MODEL}", "api_base": api_base, "api_key": api_key}
    return {"model_name": MODEL, "litellm_params": params}


def probe(target: Target) -> None:
    """Fail fast, showing the answer, when a target does not answer each workload as expected."""
    headers = {"authorization": f"Bearer {target.key}"}
    checks = [
        ("scenario:text", False, "ready to help"),
        ("scenario:one_tool_call nonce=probe", False, "/tmp/probe"),
        ("scenario:text", True, "[DONE]"),
    ]
    with httpx.Client(timeout=60, headers=headers) as client:
        for content, stream, needle in checks:
            messages = [{"role": "user", "content": content}]
            body = {"model": MODEL, "stream": stream, "messages": messages}
            r = client.post(f"{target.url}/chat/completions", json=body)
            if r.status_code != 200 or needle not in r.text:
                raise ServiceError(
                    f"{target.label} answered {content!r} (stream={stream}) with "
                    f"{r.status_code}: {r.text[:600]}"
                )
