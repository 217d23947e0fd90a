"""OpenAI-compatible providers: the request is forwarded as it came, over one pooled client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from gateway.errors import UpstreamError, UpstreamTimeoutError
from gateway.upstream.routes import Route

SSE_DONE = b"[DONE]"


class Passthrough:
    """Talks to `{api_base}/chat/completions` with the provider key, never the agent's."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    def _request(self, route: Route, body: dict[str, Any]) -> httpx.Request:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if route.api_key:
            headers["authorization"] = f"Bearer {route.api_key}"
        timeout = httpx.Timeout(route.timeout) if route.timeout else self._client.timeout
        return self._client.build_request(
            "POST",
            f"{route.api_base}/chat/completions",
            content=orjson.dumps({**body, "model": route.provider_model}),
            headers=headers,
            timeout=timeout,
        )

    async def complete(self, route: Route, body: dict[str, Any]) -> bytes:
        """The provider's JSON answer, as bytes (parsed only where a tool call needs it)."""
        with translate_errors(route):
            response = await self._client.send(self._request(route, body))
            content = response.content
        if response.status_code != 200:
            raise _status_error(route, response.status_code, content)
        return content

    async def stream(self, route: Route, body: dict[str, Any]) -> AsyncIterator[bytes]:
        """Each SSE `data:` payload of the provider's stream, up to (not including) `[DONE]`.

        A stream that ends without `[DONE]` raises: it may have been cut mid tool call.
        """
        with translate_errors(route):
            response = await self._client.send(self._request(route, body), stream=True)
        try:
            if response.status_code != 200:
                with translate_errors(route):
                    content = await response.aread()
                raise _status_error(route, response.status_code, content)
            with translate_errors(route):
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # comments, `event:` lines, blank separators
                    payload = line[5:].strip().encode()
                    if payload == SSE_DONE:
                        return
                    yield payload
            raise UpstreamError(f"provider stream for {route.model_name} ended without [DONE]")
        finally:
            await response.aclose()


@contextmanager
def translate_errors(route: Route) -> Iterator[None]:
    """httpx's exceptions become ours where they enter (STYLE.md, "Ports")."""
    try:
        yield
    except httpx.TimeoutException:
        raise UpstreamTimeoutError(
            f"provider for {route.model_name} did not answer in time"
        ) from None
    except httpx.HTTPError as exc:
        kind = type(exc).__name__
        raise UpstreamError(f"cannot reach the provider for {route.model_name} ({kind})") from None


def _status_error(route: Route, status: int, content: bytes) -> UpstreamError:
    message = f"provider for {route.model_name} answered HTTP {status}"
    if status in (401, 403):
        # Provider messages about keys quote part of the key; the agent never needs it.
        return UpstreamError(message + ": it rejected the gateway's provider credentials", status)
    try:
        detail = orjson.loads(content)["error"]["message"]
        if isinstance(detail, str):
            message += f": {detail[:500]}"
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    return UpstreamError(message, status=status)
