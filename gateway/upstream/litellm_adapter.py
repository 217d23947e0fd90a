"""Every provider that does not speak OpenAI's format, through litellm. The only module that
imports litellm; it is imported lazily because the import costs seconds and most deployments
never need it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.errors import UpstreamError, UpstreamTimeoutError
from gateway.upstream.routes import Route


class LitellmUpstream:
    def __init__(self) -> None:
        # litellm fetches a price map from the network at import unless told not to.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        self._litellm = litellm

    def _params(self, route: Route, body: dict[str, Any]) -> dict[str, Any]:
        params = {**body, **route.extra, "model": route.litellm_model}
        if route.api_base:
            params["api_base"] = route.api_base
        if route.api_key:
            params["api_key"] = route.api_key
        if route.timeout:
            params["timeout"] = route.timeout
        return params

    async def complete(self, route: Route, body: dict[str, Any]) -> bytes:
        try:
            response = await self._litellm.acompletion(**self._params(route, body))
            return orjson.dumps(response.model_dump(exclude_none=True))
        except Exception as exc:
            raise _translate(route, exc) from None

    async def stream(self, route: Route, body: dict[str, Any]) -> AsyncIterator[bytes]:
        try:
            chunks = await self._litellm.acompletion(**self._params(route, body))
            async for chunk in chunks:
                yield orjson.dumps(chunk.model_dump(exclude_none=True))
        except Exception as exc:
            raise _translate(route, exc) from None


def _translate(route: Route, exc: Exception) -> Exception:
    import openai  # litellm's exceptions derive from openai's

    name = route.model_name
    if isinstance(exc, openai.APITimeoutError):
        return UpstreamTimeoutError(f"provider for {name} did not answer in time")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return UpstreamError(f"provider for {name} rejected the gateway's credentials", status)
        return UpstreamError(
            f"provider for {name} answered HTTP {status}: {exc.message[:500]}", status
        )
    if isinstance(exc, openai.APIError):
        return UpstreamError(f"cannot reach the provider for {name} ({type(exc).__name__})")
    return UpstreamError(f"provider adapter failed for {name} ({type(exc).__name__})")
