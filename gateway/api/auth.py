"""Agent keys → identities. Keys are kept only as sha256 digests and compared in constant time.

Config keys are known in-process; keys created at runtime live in the state store and are
looked up by digest (then remembered: revocation is checked by the state store on every
admission, so a remembered key still stops working on every replica at once).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.config import Budget, Limits, Settings
from gateway.errors import AuthenticationError
from gateway.models import Agent
from gateway.state.base import KeyRecord, Quota, StateStore

RUNTIME_CACHE = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    agent: Agent
    quotas: tuple[Quota, ...]  # the agent's own, then its team's
    runtime_digest: str | None = None  # set for keys created at runtime


class KeyRing:
    def __init__(self, settings: Settings, store: StateStore) -> None:
        teams = {t.name: _quota(f"team:{t.name}", t.limits, t.budget) for t in settings.teams}
        self._teams = teams
        self._config = [
            (
                bytes.fromhex(k.digest),
                _identity(
                    Agent(k.agent, k.team), _quota(f"agent:{k.agent}", k.limits, k.budget), teams
                ),
            )
            for k in settings.keys
        ]
        self._store = store
        self._runtime: dict[str, Identity] = {}

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        digest = hashlib.sha256(_presented_key(headers).encode()).digest()
        found = None
        for candidate, identity in self._config:
            # Every entry is compared, so the time taken does not say which one matched.
            if hmac.compare_digest(candidate, digest):
                found = identity
        if found is not None:
            return found
        return await self._runtime_identity(digest.hex())

    async def _runtime_identity(self, digest: str) -> Identity:
        known = self._runtime.get(digest)
        if known is not None:
            return known
        record = await self._store.get_key(digest)
        if record is None:
            raise AuthenticationError("Incorrect API key provided.")
        identity = runtime_identity(record, self._teams)
        if len(self._runtime) >= RUNTIME_CACHE:
            self._runtime.clear()
        self._runtime[digest] = identity
        return identity


def runtime_identity(record: KeyRecord, teams: Mapping[str, Quota]) -> Identity:
    return _identity(Agent(record.agent, record.team), record.quota, teams, record.digest)


def _identity(
    agent: Agent, own: Quota, teams: Mapping[str, Quota], digest: str | None = None
) -> Identity:
    team = teams.get(agent.team) if agent.team else None
    if agent.team and team is None:
        team = Quota(f"team:{agent.team}")  # a team without limits still counts spend
    return Identity(agent, (own, team) if team else (own,), digest)


def _quota(scope: str, limits: Limits, budget: Budget) -> Quota:
    return Quota(scope, **limits.model_dump(), **budget.model_dump())


def _presented_key(headers: Mapping[str, str]) -> str:
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = headers.get("api-key", "").strip()
    if api_key:
        return api_key
    raise AuthenticationError(
        "You didn't provide an API key. Send your agent key as `Authorization: Bearer KEY`."
    )
