"""Policy engines behind one interface: `embedded` (rego-cpp) and `opa` (an OPA server).

Both evaluate `data.airlock.decision` over the same files and return the same
`Decision`; `tests/integration/test_engine_parity.py` holds them to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from gateway.errors import ConfigError
from gateway.policy.base import PolicyEngine, parse_decision
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.files import PolicyFiles, load_policy_files
from gateway.policy.opa import OpaEngine

__all__ = [
    "EmbeddedEngine",
    "OpaEngine",
    "PolicyEngine",
    "PolicyFiles",
    "load_engine",
    "load_policy_files",
    "parse_decision",
]


async def load_engine(
    engine: Literal["embedded", "opa"],
    paths: Sequence[Path],
    *,
    opa_url: str = "http://127.0.0.1:8181",
    push: bool = False,
    timeout_seconds: float = 2.0,
) -> PolicyEngine:
    """Load the policy under `paths` and start the chosen engine on it.

    `opa_url` and `push` concern the opa engine only: with `push` the gateway uploads the
    policy to that server, otherwise the server must already serve the same modules.
    Raises `ConfigError` (or its `MissingBuiltinError`) when the engine cannot start;
    once started, `evaluate` raises `PolicyError` for anything that goes wrong.
    """
    files = load_policy_files(paths)
    if engine == "embedded":
        return EmbeddedEngine(files, timeout_seconds=timeout_seconds)
    if engine == "opa":
        return await OpaEngine.connect(opa_url, files, push=push, timeout_seconds=timeout_seconds)
    raise ConfigError(f"unknown policy engine {engine!r}; expected embedded or opa")
