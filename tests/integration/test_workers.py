"""`airlock serve --workers N`: several processes on one port, sharing state through Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.integration.harness import AGENT_KEY, config, running_gateway
from tests.integration.redis_fixture import start_redis


def test_workers_share_one_limit(scripted_upstream: str, tmp_path: Path) -> None:
    redis = start_redis(tmp_path / "redis")
    settings = config(scripted_upstream, state={"redis_url": redis.url})
    settings["keys"][0]["limits"] = {"requests_per_minute": 9}
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "scenario:text"}]}
    try:
        with running_gateway(tmp_path / "gw", settings, ["--workers", "2"]) as gw:

            async def burst() -> list[int]:
                async with httpx.AsyncClient(timeout=30) as client:
                    responses = await asyncio.gather(
                        *(
                            client.post(
                                gw.base_url + "/chat/completions",
                                json=body,
                                headers={"authorization": f"Bearer {AGENT_KEY}"},
                            )
                            for _ in range(20)
                        )
                    )
                return [r.status_code for r in responses]

            statuses = asyncio.run(burst())
        assert statuses.count(200) == 9 and statuses.count(429) == 11
    finally:
        redis.stop()


def test_workers_need_redis(scripted_upstream: str, tmp_path: Path) -> None:
    path = tmp_path / "airlock.yaml"
    path.write_text(yaml.safe_dump(config(scripted_upstream)))
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(path), "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs state.redis_url" in done.stderr


pytestmark = pytest.mark.timeout(120)
