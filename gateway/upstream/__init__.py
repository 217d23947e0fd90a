"""Talking to model providers: raw passthrough for OpenAI-compatible ones, litellm for others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp

from gateway.upstream.passthrough import Passthrough
from gateway.upstream.routes import Route, Router

__all__ = ["Provider", "Route", "Router", "Upstreams"]


class Provider(Protocol):
    async def complete(self, route: Route, body: dict[str, Any]) -> bytes: ...

    def stream(self, route: Route, body: dict[str, Any]) -> AsyncIterator[bytes]: ...


class Upstreams:
    """Picks the provider adapter for a route."""

    def __init__(self, router: Router, client: aiohttp.ClientSession) -> None:
        self.router = router
        self._passthrough = Passthrough(client)
        self._litellm: Provider | None = None
        if router.needs_litellm():
            from gateway.upstream.litellm_adapter import LitellmUpstream

            self._litellm = LitellmUpstream()

    def provider(self, route: Route) -> Provider:
        if route.kind == "litellm" and self._litellm is not None:
            return self._litellm
        return self._passthrough
