"""Webhook notification of new escalations: Slack-compatible, signed, retried, never blocking.

Each new approval is POSTed once as JSON: a one-line `text` (what Slack shows) and the
structured `approval`. `X-Airlock-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact
body bytes with `approvals.webhook_secret`; the body carries the same `timestamp` as
`X-Airlock-Timestamp`, so a receiver can refuse replays. Delivery runs in the background and
is retried with exponential backoff on connection errors, 429 and 5xx; a webhook that keeps
failing is logged (host only: webhook URLs often embed a token) and the approval stands.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from gateway.approvals.base import Approval

log = logging.getLogger("airlock.approvals")

TRIES = 4
FIRST_DELAY_SECONDS = 0.5
TIMEOUT_SECONDS = 10.0
CLOSE_GRACE_SECONDS = 5.0
REASON_CHARS = 200


def _slack_escape(text: str, limit: int = REASON_CHARS) -> str:
    """One line, short, and inert: agent-chosen text must not become links or @-mentions."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(approval_id: str, public_url: str = "") -> str:
    return f"{public_url.rstrip('/')}/ui#{approval_id}"


def payload(approval: Approval, timestamp: int, public_url: str = "") -> dict[str, Any]:
    """What the webhook receives for one new escalation."""
    url = link(approval.id, public_url)
    why = approval.reasons[0].message if approval.reasons else "escalated by policy"
    text = (
        f"Airlock: {_slack_escape(approval.agent, 80)} wants to call "
        f"{_slack_escape(approval.tool_name, 80)}: {_slack_escape(why)} "
        f"(approval {approval.id}, {url})"
    )
    return {
        "text": text,
        "timestamp": timestamp,
        "approval": {
            "id": approval.id,
            "agent": approval.agent,
            "team": approval.team,
            "model": approval.model,
            "tool_name": approval.tool_name,
            "arguments": approval.arguments,
            "reasons": approval.reasons,
            "created": approval.created,
            "expires": approval.expires,
            "link": url,
        },
    }


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """Sends `notify(approval)` to `url` in the background; `aclose()` lets deliveries finish."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        secret: str | None,
        *,
        public_url: str = "",
        tries: int = TRIES,
        first_delay: float = FIRST_DELAY_SECONDS,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        self._client = client
        self._url = url
        self._host = urlsplit(url).hostname or "?"
        self._secret = secret
        self._public_url = public_url
        self._tries = max(tries, 1)
        self._first_delay = first_delay
        self._timeout = timeout_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    def notify(self, approval: Approval) -> None:
        """Schedule the POST for a new escalation and return at once."""
        timestamp = int(time.time())
        body = orjson.dumps(payload(approval, timestamp, self._public_url))
        headers = {"content-type": "application/json", "x-airlock-timestamp": str(timestamp)}
        if self._secret:
            headers["x-airlock-signature"] = signature(body, self._secret)
        task = asyncio.get_running_loop().create_task(self._deliver(approval.id, body, headers))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self, grace: float = CLOSE_GRACE_SECONDS) -> None:
        """Wait up to `grace` seconds for deliveries in flight, then abandon them."""
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in unfinished:
            task.cancel()
        if unfinished:
            log.warning("webhook: %d notification(s) abandoned at shutdown", len(unfinished))
            await asyncio.gather(*unfinished, return_exceptions=True)

    async def _deliver(self, approval_id: str, body: bytes, headers: dict[str, str]) -> None:
        delay = self._first_delay
        problem = ""
        for attempt in range(1, self._tries + 1):
            try:
                response = await self._client.post(
                    self._url, content=body, headers=headers, timeout=self._timeout
                )
            except (httpx.HTTPError, httpx.InvalidURL) as e:
                problem = type(e).__name__
            except Exception as e:  # e.g. a closed client: not worth retrying, never raised
                problem = type(e).__name__
                break
            else:
                status = response.status_code
                if status < 300:
                    return
                problem = f"HTTP {status}"
                if status < 500 and status != 429:
                    break
            if attempt < self._tries:
                await asyncio.sleep(delay)
                delay *= 2
        log.warning(
            "webhook to %s for approval %s failed after %d tries (%s); the approval stands",
            self._host,
            approval_id,
            attempt,
            problem,
        )
