"""The opa engine: a real OPA server, through opa-python-client's async client.

One `AsyncOpaClient` (one aiohttp session, pooled keep-alive connections) lives as long
as the engine. Each input is one `POST /v1/data/airlock/decision`; several inputs are
sent concurrently. The client's own timeout only caps administrative calls; each
evaluation runs under `timeout_seconds`, enforced here. Retries are off: a decision
that cannot be made in time is denied (fail closed), not retried behind the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import aiohttp
import orjson
from opa_client import AsyncOpaClient

from gateway.errors import ConfigError, PolicyError
from gateway.models import Decision, PolicyInput
from gateway.policy.base import (
    DECISION_PACKAGE,
    DECISION_REF,
    DECISION_RULE,
    gather_decisions,
    parse_decision,
)
from gateway.policy.files import PolicyFiles
from gateway.policy.opa_setup import push_policy, verify_policy

_ADMIN_TIMEOUT_SECONDS = 30.0  # pushing a policy makes OPA compile it


class OpaEngine:
    """A `PolicyEngine` asking an OPA server at `url`.

    Build it with `connect`, which also checks the server and pushes or verifies the
    policy. `open` only opens the HTTP session (for callers that checked elsewhere).
    """

    name: str = "opa"

    def __init__(self, url: str, revision: str, *, timeout_seconds: float = 2.0) -> None:
        """No I/O; `ConfigError` if `url` is not `http(s)://host[:port]`."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"opa_url {url!r} must be http(s)://host[:port]")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError(f"opa_url {url!r} must not have a path or query")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        tls = parts.scheme == "https"
        self.url = url.rstrip("/")
        self.revision = revision
        self._timeout = timeout_seconds
        self._client = AsyncOpaClient(
            host=host,
            port=parts.port or (443 if tls else 80),
            ssl=tls,
            retries=0,
            timeout=max(timeout_seconds, _ADMIN_TIMEOUT_SECONDS),
        )
        self._open = False

    @classmethod
    async def connect(
        cls, url: str, files: PolicyFiles, *, push: bool = False, timeout_seconds: float = 2.0
    ) -> OpaEngine:
        """Open, check the server answers, then push `files` or verify it holds them.

        `ConfigError` if OPA is unreachable, rejects the policy, or (without `push`)
        serves modules that differ from `files`; `MissingBuiltinError` if OPA lacks a
        builtin the policy calls.
        """
        engine = cls(url, files.revision, timeout_seconds=timeout_seconds)
        await engine.open()
        try:
            await engine._check_reachable()
            if push:
                await push_policy(engine._client, files)
            else:
                await verify_policy(engine._client, files, engine.url)
        except aiohttp.ClientError as exc:
            await engine.aclose()
            raise ConfigError(f"OPA server at {engine.url} failed during start: {exc}") from exc
        except BaseException:
            await engine.aclose()
            raise
        return engine

    async def open(self) -> None:
        """Open the HTTP session (no request is made)."""
        await self._client.__aenter__()
        self._open = True

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        """Evaluate all inputs concurrently; the first failure is raised as `PolicyError`."""
        return await gather_decisions(self._evaluate(policy_input) for policy_input in inputs)

    async def aclose(self) -> None:
        """Close the HTTP session."""
        self._open = False
        await self._client.close_connection()

    async def _check_reachable(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.check_connection()
        except TimeoutError:
            raise ConfigError(
                f"OPA server at {self.url} did not answer within {self._timeout}s"
            ) from None
        except Exception as exc:  # the client wraps every failure in its ConnectionsError
            cause = exc.__cause__ or exc
            raise ConfigError(f"OPA server unreachable at {self.url}: {cause}") from exc

    async def _evaluate(self, policy_input: PolicyInput) -> Decision:
        if not self._open:
            raise PolicyError("opa engine is closed")
        try:
            # the client wants a dict and serializes it itself
            document = orjson.loads(orjson.dumps(policy_input))
        except orjson.JSONEncodeError as exc:
            raise PolicyError(f"policy input cannot be serialized: {exc}") from exc
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.query_rule(document, DECISION_PACKAGE, DECISION_RULE)
        except TimeoutError:
            raise PolicyError(f"OPA evaluation timed out after {self._timeout}s") from None
        except aiohttp.ClientConnectionError as exc:  # refused, reset, closed mid-answer
            raise PolicyError(f"OPA server unreachable at {self.url}: {exc!r}") from exc
        except aiohttp.ClientResponseError as exc:
            raise PolicyError(
                f"OPA at {self.url} answered HTTP {exc.status} {exc.message}"
            ) from exc
        except aiohttp.ClientError as exc:
            raise PolicyError(f"OPA request to {self.url} failed: {exc!r}") from exc
        if not isinstance(response, dict) or "result" not in response:
            raise PolicyError(f"opa: {DECISION_REF} is undefined")
        return parse_decision(response["result"], self.name)
