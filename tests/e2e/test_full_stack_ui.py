"""The whole product, as an approver and an agent meet it: a held request waits on the real
gateway, the approver approves it in the real page in Chromium, the agent gets its call."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from tests.conftest import missing_service
from tests.e2e.test_approver_ui import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.integration.harness import Gateway, config, running_gateway

APPROVER = "approver-token-for-e2e-0123456789"


def ask(gw: Gateway) -> Any:
    return gw.sdk().chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "scenario:instance_tool size=m5.large"}],
    )


async def test_approving_in_the_page_releases_the_held_request(
    scripted_upstream: str, tmp_path: Path
) -> None:
    if not CHROMIUM.is_file():
        missing_service("Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    settings = config(scripted_upstream, approvals={"mode": "hold", "timeout_seconds": 60})
    settings["approvers"] = [{"name": "alice", "token": APPROVER}]
    expect.set_options(timeout=TIMEOUT_MS)
    with running_gateway(tmp_path / "gw", settings) as gw, ThreadPoolExecutor(1) as pool:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(gw.url + "/ui")
            await page.fill("#token", APPROVER)
            await page.click("#signin-button")
            await page.wait_for_selector('#conn[data-state="live"]')

            held = pool.submit(ask, gw)  # the agent's request now waits for a human
            item = page.locator("#list > li").first
            await item.wait_for()
            assert "m5.large" in await item.inner_text()
            assert not held.done()
            await page.screenshot(path=str(tmp_path / "held.png"), full_page=True)
            await item.locator("textarea").fill("capacity test, approved")
            await item.locator("button.approve").click()
            await item.wait_for(state="detached")
            await browser.close()
        answer = held.result(timeout=20)
    [call] = answer.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments)["command"].endswith("--instance-type m5.large")
    records = gw.audit()
    assert records[-1]["enforced"] == "allow" and records[-1]["approval_id"]
    assert any("approved by alice" in r["message"] for r in records[-1]["reasons"])


pytestmark = pytest.mark.timeout(120)
