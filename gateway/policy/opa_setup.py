"""Getting an OPA server to hold exactly our policy, or checking that it does.

With `push`, the gateway owns the server's policy: modules that are not ours are deleted,
the data document is replaced, and every module is uploaded. OPA compiles the whole set
on each upload, so a module calling a function of a module not yet uploaded is refused;
uploads are therefore repeated until no more succeed. What is still refused then is
reported, a missing builtin (OPA: "undefined function net.cidr_containz") as
`MissingBuiltinError`. Without `push`, OPA was started on the files itself; we check
that it serves every module byte for byte, so the revision in audit records is true.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from opa_client.errors import DeletePolicyError, RegoParseError

from gateway.errors import ConfigError, MissingBuiltinError
from gateway.policy.files import PolicyFiles

_UNDEFINED_FUNCTION = re.compile(r"undefined function (\S+)")


async def push_policy(client: Any, files: PolicyFiles) -> None:
    """Make the server at `client` hold exactly `files` (see the module docstring)."""
    stale = [pid for pid in await client.get_policies_list() if pid not in files.modules]
    leftover = await _settle(stale, client.delete_policy)
    if leftover:
        raise ConfigError(f"cannot delete old policy modules from OPA: {', '.join(leftover)}")
    try:
        # endpoint "" is PUT /v1/data/, which OPA redirects (301) to /v1/data; aiohttp
        # repeats the PUT there, replacing the whole base document
        await client.update_or_create_data(files.data, "")
    except RegoParseError as exc:
        raise ConfigError(f"OPA rejected the policy data: {exc}") from exc

    async def upload(name: str) -> None:
        # rego_compat would let the client rewrite v0 syntax: OPA would then run a
        # different policy than the embedded engine.
        await client.update_policy_from_string(files.modules[name], name, rego_compat=False)

    rejected = await _settle(sorted(files.modules), upload)
    if rejected:
        raise _rejection(rejected)


async def verify_policy(client: Any, files: PolicyFiles, url: str) -> None:
    """`ConfigError` unless the server serves every module of `files` unchanged."""
    ids = await client.get_policies_list()
    policies = await asyncio.gather(*(client.get_policy(pid) for pid in ids))
    served = {policy.get("result", {}).get("raw") for policy in policies}
    differing = sorted(name for name, text in files.modules.items() if text not in served)
    if differing:
        raise ConfigError(
            f"OPA server at {url} does not serve these policy modules as they are on disk: "
            f"{', '.join(differing)} (start OPA on the same files, or set push)"
        )


async def _settle(
    names: Iterable[str], attempt: Callable[[str], Awaitable[object]]
) -> dict[str, Exception]:
    """Apply `attempt` to names, again and again while some succeed; the failures."""
    pending = list(names)
    failures: dict[str, Exception] = {}
    while pending:
        failures = {}
        for name in pending:
            try:
                await attempt(name)
            except (RegoParseError, DeletePolicyError) as exc:
                failures[name] = exc
        if len(failures) == len(pending):
            break
        pending = list(failures)
    return failures


def _rejection(failures: dict[str, Exception]) -> ConfigError:
    missing: set[str] = set()
    messages = []
    for name, exc in failures.items():
        details = [e.get("message", "") for e in getattr(exc, "errors", []) if isinstance(e, dict)]
        for detail in details or [str(exc)]:
            messages.append(f"{name}: {detail}")
            match = _UNDEFINED_FUNCTION.fullmatch(detail)
            if match and not match.group(1).startswith("data."):
                missing.add(match.group(1))
    if missing:
        return MissingBuiltinError("opa", sorted(missing))
    return ConfigError("OPA rejected the policy: " + "; ".join(messages))
