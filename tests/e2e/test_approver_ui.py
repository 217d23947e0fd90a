"""The approver page in Debian's headless Chromium (Playwright), against the fake gateway.

The fake serves the real `gateway/ui` through `ui.install` and speaks the approver API, so
these tests cover the page itself: sign in, the live queue, deciding, the history, the
strict CSP. (The full-stack version, where a held agent request completes, lives with the
gateway's approvals tests.)
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from gateway import ui
from gateway.ui import CSP
from tests.conftest import missing_service
from tests.e2e.fake_gateway import AGENT_KEY, APPROVER_TOKEN, Served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

STRIPE = {
    "agent": "research-agent",
    "team": "growth",
    "tool_name": "http_request",
    "arguments": {
        "method": "POST",
        "url": "https://api.stripe.com/v1/customers",
        "headers": {"Authorization": "Bearer [REDACTED:stripe_secret_key]"},
        "body": {"email": "ops@example.test"},
    },
    "facts": {
        "commands": [],
        "urls": [
            {"method": "POST", "scheme": "https", "host": "api.stripe.com", "path": "/v1/customers"}
        ],
        "paths": [],
        "code": None,
        "secrets": [{"type": "stripe_secret_key", "at": "arguments.headers.Authorization"}],
        "obfuscation": [],
    },
    "reasons": [
        {
            "rule": "airlock.payment.stripe_account",
            "category": "payment",
            "message": "POST to api.stripe.com/v1/customers would create a payment account",
        }
    ],
    "excerpt": [
        {"role": "user", "content": "Set up billing so the service can pay for itself."},
        {"role": "assistant", "content": "Creating a Stripe customer for the new account."},
    ],
}


@pytest.fixture
def served() -> Iterator[Served]:
    with Served(keepalive_seconds=1) as s:
        yield s


@pytest.fixture
async def page(served: Served) -> AsyncIterator[Any]:
    # Asks for `served` so that the browser closes (and drops its stream) before the server.
    if not CHROMIUM.is_file():
        missing_service("Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    expect.set_options(timeout=TIMEOUT_MS)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        p = await context.new_page()
        problems: list[str] = []  # page errors and CSP violations, checked after each test
        p.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        p.on(
            "console",
            lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        try:
            yield p
        finally:
            await context.close()
            await browser.close()
    assert not [x for x in problems if "Failed to load resource" not in x], problems


async def push(served: Served, **fields: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{served.url}/_test/approvals", json=fields)
    r.raise_for_status()
    created: dict[str, Any] = r.json()
    return created


async def sign_in(page: Any, served: Served, token: str = APPROVER_TOKEN) -> None:
    response = await page.goto(f"{served.url}/ui")
    assert response.headers["content-security-policy"] == CSP
    await page.fill("#token", token)
    await page.click("#signin-button")


def card(approval: dict[str, Any]) -> str:
    return f'#list li[data-id="{approval["id"]}"]'


async def text(page: Any, selector: str) -> str:
    found: str = await page.locator(selector).inner_text()
    return found


def test_the_page_is_served_with_a_strict_policy(served: Served) -> None:
    for path in ("/ui", "/ui/", "/ui/index.html"):
        r = httpx.get(served.url + path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        assert '<script type="module" src="/ui/app.js">' in r.text
        assert "<style" not in r.text and " style=" not in r.text and "onclick" not in r.text
    modules = re.findall(r'from "\./(\w+\.js)"', (ui.ASSETS / "app.js").read_text())
    assert {"api.js", "queue.js", "stream.js"} <= set(modules)
    assert {p.name for p in ui.ASSETS.glob("*.js")} <= set(ui.FILES)  # all are served
    assets = [(f"/ui/{m}", "text/javascript") for m in modules] + [("/ui/app.css", "text/css")]
    for path, kind in [("/ui/app.js", "text/javascript"), *assets]:
        r = httpx.get(served.url + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
        assert r.headers["content-security-policy"] == CSP
        again = httpx.get(served.url + path, headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304
    for path in ("/ui/__init__.py", "/ui/..%2Fconfig.py", "/ui/nope.js"):
        assert httpx.get(served.url + path).status_code == 404
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP


async def test_sign_in_see_a_new_escalation_live_and_approve_it(
    page: Any, served: Served, tmp_path: Path
) -> None:
    first = await push(served, created=1.0)
    await sign_in(page, served)
    await page.wait_for_selector(card(first))
    assert await text(page, "#pending-count") == "1"
    await page.wait_for_selector('#conn[data-state="live"]')
    await page.evaluate("window.__sameDocument = true")

    second = await push(served, **STRIPE)
    item = page.locator(card(second))
    await item.wait_for()
    assert await page.evaluate("window.__sameDocument") is True  # no reload happened
    assert await text(page, "#pending-count") == "2"
    assert await page.title() == "(2) Airlock approvals"
    # Newest first.
    ids = await page.locator("#list > li").evaluate_all("els => els.map(e => e.dataset.id)")
    assert ids == [second["id"], first["id"]]

    shown = await item.inner_text()
    assert "http_request" in shown
    assert "research-agent" in shown and "growth" in shown
    assert "POST to api.stripe.com/v1/customers would create a payment account" in shown
    assert "airlock.payment.stripe_account" in shown
    assert "POST https://api.stripe.com/v1/customers" in shown
    assert "stripe_secret_key in arguments.headers.Authorization" in shown
    arguments = await item.locator("pre.json").inner_text()
    assert '"url": "https://api.stripe.com/v1/customers"' in arguments
    assert '    "Authorization": "Bearer [REDACTED:stripe_secret_key]"' in arguments
    await item.locator("details.excerpt summary").click()
    assert "Set up billing so the service can pay for itself." in await item.inner_text()
    timer = await item.locator(".timer-value").inner_text()
    assert re.fullmatch(r"[45]:\d\d", timer), timer
    await page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    await item.locator("textarea").fill("one-off: billing setup approved by finance")
    await item.locator("button.approve").click()
    await item.wait_for(state="detached")
    assert served.fake.decisions == [
        {
            "id": second["id"],
            "action": "approve",
            "by": "alice",
            "reason": "one-off: billing setup approved by finance",
        }
    ]
    assert await text(page, "#pending-count") == "1"
    assert "Approved http_request from research-agent." in await text(page, "#notice")

    await page.click("#tab-approved")
    past = page.locator(card(second))
    await past.wait_for()
    history = await past.locator(".timeline").inner_text()
    assert "approved" in history and "by alice" in history
    assert "one-off: billing setup approved by finance" in history
    await page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    assert (tmp_path / "queue.png").stat().st_size > 10_000


async def test_deny_needs_a_reason_and_is_recorded(page: Any, served: Served) -> None:
    approval = await push(served)
    await sign_in(page, served)
    item = page.locator(card(approval))
    await item.locator("button.deny").click()
    message = item.locator(".form-message")
    await message.wait_for()
    assert "needs a reason" in await message.inner_text()
    assert await item.locator("textarea").get_attribute("aria-invalid") == "true"
    assert await page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    assert served.fake.decisions == []

    await page.keyboard.type("no new GPU instances from CI")
    await item.locator("button.deny").click()
    await item.wait_for(state="detached")
    assert served.fake.decisions == [
        {
            "id": approval["id"],
            "action": "deny",
            "by": "alice",
            "reason": "no new GPU instances from CI",
        }
    ]
    assert not await page.locator("#empty").is_hidden()


async def test_a_decision_made_elsewhere_leaves_the_queue(page: Any, served: Served) -> None:
    approval = await push(served)
    await sign_in(page, served)
    await page.wait_for_selector(card(approval))
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{served.url}/approvals/{approval['id']}/deny",
            json={"reason": "bob said no"},
            headers={"authorization": f"Bearer {APPROVER_TOKEN}"},
        )
    r.raise_for_status()
    await page.locator(card(approval)).wait_for(state="detached")
    assert await text(page, "#pending-count") == "0"


async def test_reconnects_and_catches_up_on_missed_events(page: Any, served: Served) -> None:
    await sign_in(page, served)
    await page.wait_for_selector('#conn[data-state="live"]')
    async with httpx.AsyncClient() as http:
        dropped = (await http.post(f"{served.url}/_test/drop-streams")).json()
    assert dropped["dropped"] == 1
    missed = await push(served)  # published while no stream is open
    await page.wait_for_selector('#conn[data-state="down"]')
    await page.locator(card(missed)).wait_for()  # via the list refresh on reconnect
    await page.wait_for_selector('#conn[data-state="live"]')
    live = await push(served, tool_name="after_reconnect")
    await page.locator(card(live)).wait_for()
    assert await text(page, "#pending-count") == "2"


async def test_untrusted_text_stays_text(page: Any, served: Served) -> None:
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    approval = await push(
        served,
        tool_name=attack,
        agent=attack,
        arguments={"command": attack, attack: "rm -rf /tmp/x \u202egnp.exe"},
        reasons=[{"rule": attack, "category": attack, "message": attack}],
        excerpt=[{"role": attack, "content": attack}],
        facts={"commands": [{"program": "sh", "argv": ["sh"], "raw": attack}]},
    )
    await sign_in(page, served)
    item = page.locator(card(approval))
    await item.wait_for()
    await item.locator("details.excerpt summary").click()
    assert await page.locator("#list img, #list script").count() == 0
    assert await page.evaluate("window.__pwned") is None
    shown = await item.inner_text()
    assert shown.count("<img src=x") >= 5
    # A bidi override cannot turn the text around unseen.
    assert "rm -rf /tmp/x \u27e8U+202E\u27e9gnp.exe" in shown
    assert "\u202e" not in shown


async def test_the_countdown_runs_and_an_expired_item_cannot_be_decided(
    page: Any, served: Served
) -> None:
    short = await push(served, expires=time.time() + 3)
    await sign_in(page, served)
    item = page.locator(card(short))
    await item.wait_for()
    before = await item.locator(".timer-value").inner_text()
    await expect(item.locator(".timer-value")).not_to_have_text(before)
    await page.wait_for_selector(f"{card(short)} .timer[data-level=expired]")
    assert await item.locator("button.approve").is_disabled()
    assert "Time ran out" in await item.locator(".form-message").inner_text()
    assert await text(page, "#pending-count") == "0"
    async with httpx.AsyncClient() as http:
        (await http.post(f"{served.url}/_test/expire/{short['id']}")).raise_for_status()
    await item.wait_for(state="detached")
    assert served.fake.decisions == []
    await page.click("#tab-expired")
    history = await page.locator(card(short)).locator(".timeline").inner_text()
    assert "expired" in history and "approval timed out" in history


async def test_refused_tokens_the_session_and_signing_out(
    page: Any, served: Served, tmp_path: Path
) -> None:
    await sign_in(page, served, token="not-an-approver-token")
    error = page.locator("#signin-error")
    await error.wait_for()
    assert "not accepted" in await error.inner_text()
    await page.fill("#token", AGENT_KEY)
    await page.click("#signin-button")
    await expect(error).to_contain_text("not an agent key")
    await page.screenshot(path=str(tmp_path / "signin.png"))
    assert await page.evaluate("sessionStorage.length") == 0

    await page.fill("#token", APPROVER_TOKEN)
    await page.click("#signin-button")
    await page.wait_for_selector("#queue:not([hidden])")
    assert APPROVER_TOKEN not in page.url
    assert await page.context.cookies() == []
    # A reload in the same tab keeps the session; the token is not asked again.
    await page.reload()
    await page.wait_for_selector("#queue:not([hidden])")
    assert await page.locator("#signin").is_hidden()

    await page.click("#sign-out")
    await page.wait_for_selector("#signin:not([hidden])")
    assert await page.evaluate("sessionStorage.length") == 0
    assert await page.locator("#queue").is_hidden()
    await page.reload()
    await page.wait_for_selector("#signin:not([hidden])")


async def test_keyboard_tabs_and_item_navigation(page: Any, served: Served) -> None:
    older, newer = await push(served, created=1.0), await push(served, created=2.0)
    await sign_in(page, served)
    await page.wait_for_selector(card(older))
    await page.locator("body").click(position={"x": 5, "y": 300})
    await page.keyboard.press("j")
    assert await page.evaluate("document.activeElement.dataset.id") == newer["id"]
    await page.keyboard.press("j")
    assert await page.evaluate("document.activeElement.dataset.id") == older["id"]
    await page.keyboard.press("r")
    assert await page.evaluate("document.activeElement.id") == f"r-{older['id']}"

    await page.focus("#tab-pending")
    await page.keyboard.press("ArrowRight")
    assert await page.get_attribute("#tab-approved", "aria-selected") == "true"
    assert await page.evaluate("document.activeElement.id") == "tab-approved"
    await page.keyboard.press("End")
    assert await page.get_attribute("#tab-expired", "aria-selected") == "true"
    await expect(page.locator("#empty")).to_have_text("No expired approvals yet.")
