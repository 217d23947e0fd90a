"""Clients for the approver API: `ApprovalsClient` (blocking) and `AsyncApprovalsClient`.

Both speak the same routes: `GET /approvals`, `GET /approvals/{id}`,
`POST /approvals/{id}/approve|deny` and the live stream `GET /approvals/stream`.
An approval and a stream event are returned as the gateway's JSON objects (dicts).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

from airlock_client.errors import AirlockClientError, from_response, from_transport
from airlock_client.sse import Decoder

Status = Literal["pending", "approved", "denied", "expired"]
Approval = dict[str, Any]
Approvals = list[Approval]  # an alias: inside the classes `list` names the method
Event = dict[str, Any]  # {"kind": "created"|"approved"|"denied"|"expired", "approval": {...}}

STATUSES: tuple[str, ...] = ("pending", "approved", "denied", "expired")
# The gateway sends a keep-alive comment every 15 s, so a quiet minute means a dead connection.
STREAM_IDLE_SECONDS = 60.0


def _headers(token: str) -> dict[str, str]:
    if not token:
        raise ValueError("an approver token is required")
    return {"authorization": f"Bearer {token}", "accept": "application/json"}


def _list_params(status: str | None) -> dict[str, str]:
    if status is None:
        return {}
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return {"status": status}


def _path(approval_id: str, action: str = "") -> str:
    # Quoted whole so that an id can never reach another route ("../", "?", "#").
    path = "/approvals/" + quote(approval_id, safe="")
    return f"{path}/{action}" if action else path


def _deny_body(reason: str) -> dict[str, str]:
    if not reason.strip():
        raise ValueError("a denial needs a reason")
    return {"reason": reason}


def _result(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise from_response(response)
    try:
        return response.json()
    except ValueError as exc:
        raise AirlockClientError(
            response.status_code, "invalid_response", None, "the gateway's answer is not JSON"
        ) from exc


def _approvals(body: Any) -> Approvals:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise AirlockClientError(200, "invalid_response", None, 'expected {"data": [...]}')
    return data


async def _events(
    http: httpx.AsyncClient, base_url: str, connect_timeout: float, idle_timeout: float
) -> AsyncIterator[Event]:
    timeout = httpx.Timeout(connect_timeout, read=idle_timeout)
    headers = {"accept": "text/event-stream", "cache-control": "no-cache"}
    try:
        async with http.stream("GET", "/approvals/stream", headers=headers, timeout=timeout) as r:
            if r.status_code >= 400:
                await r.aread()
                raise from_response(r)
            if not r.headers.get("content-type", "").startswith("text/event-stream"):
                raise AirlockClientError(
                    r.status_code, "invalid_response", None, "the stream is not text/event-stream"
                )
            decoder = Decoder()
            async for line in r.aiter_lines():
                message = decoder.feed(line)
                if message is None:
                    continue
                try:
                    event = json.loads(message.data)
                except ValueError as exc:
                    raise AirlockClientError(
                        r.status_code, "invalid_response", None, "a stream event is not JSON"
                    ) from exc
                yield event
    except httpx.TransportError as exc:
        raise from_transport(exc, base_url) from exc


class ApprovalsClient:
    """The approver API, blocking. Use it as a context manager, or call `close()`.

    Every method raises `AirlockClientError` when the gateway refuses the call (its status,
    type, code and message) or cannot be reached (status 0).
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._token = token
        self._http = httpx.Client(base_url=self.base_url, headers=_headers(token), timeout=timeout)

    def __repr__(self) -> str:
        return f"ApprovalsClient({self.base_url!r})"  # never the token

    def list(self, status: Status | None = None) -> Approvals:
        """Approvals, newest first; only those with `status` when it is given."""
        return _approvals(self._call("GET", "/approvals", params=_list_params(status)))

    def get(self, approval_id: str) -> Approval:
        """One approval (404 → `AirlockClientError` with status 404)."""
        result: Approval = self._call("GET", _path(approval_id))
        return result

    def approve(self, approval_id: str, reason: str = "") -> Approval:
        """Approve a pending approval; returns it updated. A second decision raises (409)."""
        result: Approval = self._call(
            "POST", _path(approval_id, "approve"), json={"reason": reason}
        )
        return result

    def deny(self, approval_id: str, reason: str) -> Approval:
        """Deny a pending approval, with a reason the agent's team will read."""
        result: Approval = self._call("POST", _path(approval_id, "deny"), json=_deny_body(reason))
        return result

    async def stream(self, *, idle_timeout: float = STREAM_IDLE_SECONDS) -> AsyncIterator[Event]:
        """Live events (`{"kind", "approval"}`) until the gateway closes the stream.

        Keep-alive comments are skipped. A connection silent for `idle_timeout` seconds is
        given up with an `AirlockClientError` (type "timeout"); reconnecting is the caller's
        choice, and a caller that reconnects should `list()` again to catch up.
        """
        async with httpx.AsyncClient(base_url=self.base_url, headers=_headers(self._token)) as http:
            async for event in _events(http, self.base_url, self._timeout, idle_timeout):
                yield event

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApprovalsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise from_transport(exc, self.base_url) from exc
        return _result(response)


class AsyncApprovalsClient:
    """The approver API for asyncio code; the same methods as `ApprovalsClient`, awaited.

    Use it as an async context manager, or call `aclose()`.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=_headers(token), timeout=timeout
        )

    def __repr__(self) -> str:
        return f"AsyncApprovalsClient({self.base_url!r})"

    async def list(self, status: Status | None = None) -> Approvals:
        """Approvals, newest first; only those with `status` when it is given."""
        return _approvals(await self._call("GET", "/approvals", params=_list_params(status)))

    async def get(self, approval_id: str) -> Approval:
        """One approval (404 → `AirlockClientError` with status 404)."""
        result: Approval = await self._call("GET", _path(approval_id))
        return result

    async def approve(self, approval_id: str, reason: str = "") -> Approval:
        """Approve a pending approval; returns it updated. A second decision raises (409)."""
        result: Approval = await self._call(
            "POST", _path(approval_id, "approve"), json={"reason": reason}
        )
        return result

    async def deny(self, approval_id: str, reason: str) -> Approval:
        """Deny a pending approval, with a reason the agent's team will read."""
        result: Approval = await self._call(
            "POST", _path(approval_id, "deny"), json=_deny_body(reason)
        )
        return result

    async def stream(self, *, idle_timeout: float = STREAM_IDLE_SECONDS) -> AsyncIterator[Event]:
        """Live events until the gateway closes the stream; see `ApprovalsClient.stream`."""
        async for event in _events(self._http, self.base_url, self._timeout, idle_timeout):
            yield event

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncApprovalsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise from_transport(exc, self.base_url) from exc
        return _result(response)
