"""Rate limits and budgets around one request: admit before forwarding, settle after."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.api.auth import Identity
from gateway.errors import AuthenticationError, LimitExceededError, StateError
from gateway.firewall.decide import Verdict, denied_by_policy
from gateway.state.base import Admission, Admitted, Outcome, Period, RateInfo, StateStore
from gateway.upstream.cost import Pricing

log = logging.getLogger("airlock.meter")

REFUSALS = {
    "requests": ("rate_limit_exceeded", "requests per minute"),
    "tokens": ("rate_limit_exceeded", "tokens per minute"),
    "tool_calls": ("rate_limit_exceeded", "tool calls per minute"),
    "budget": ("budget_exceeded", "budget"),
}


def current_period(now: float | None = None) -> Period:
    stamp = time.gmtime(now)
    return Period(time.strftime("%Y%m%d", stamp), time.strftime("%Y%m", stamp))


@dataclass(slots=True)
class Meter:
    store: StateStore
    pricing: Pricing
    identity: Identity
    model: str
    fail_open: bool
    admitted: Admitted | None = None
    reserved: tuple[int, int] = (0, 0)  # tokens, micro-dollars
    period: Period = field(default_factory=current_period)

    async def admit(self, body: dict[str, Any], body_size: int) -> None:
        """Raises LimitExceededError (429) or StateError (503) unless the store fails open."""
        self.reserved = self.pricing.estimate(self.model, body, body_size)
        admission = Admission(
            agent=self.identity.agent.id,
            quotas=self.identity.quotas,
            tokens=self.reserved[0],
            cost_micro=self.reserved[1],
            period=self.period,
            key_digest=self.identity.runtime_digest,
        )
        try:
            self.admitted = await self.store.admit(admission)
        except StateError:
            if not self.fail_open:
                raise
            log.warning("state store unavailable: admitting without limits (on_error=allow)")
            return
        if self.admitted.refused == "revoked":
            raise AuthenticationError("Incorrect API key provided.")
        if not self.admitted.ok:
            code, what = REFUSALS[self.admitted.refused or "requests"]
            retry = max(1, math.ceil(self.admitted.retry_after))
            raise LimitExceededError(
                f"{what} exceeded for {self.admitted.scope}; retry in {retry}s.", code, retry
            )

    def headers(self) -> dict[str, str]:
        """OpenAI's x-ratelimit-* headers for the answer."""
        if self.admitted is None:
            return {}
        out: dict[str, str] = {}
        for kind, info in (("requests", self.admitted.requests), ("tokens", self.admitted.tokens)):
            if info is not None:
                out.update(rate_headers(kind, info))
        return out

    async def settle(self, usage: Any, verdicts: list[Verdict]) -> None:
        """Charge what the answer really cost, and count denials and escalations."""
        if self.admitted is None:
            return
        real = self.pricing.actual(self.model, usage) or self.reserved
        outcome = Outcome(
            agent=self.identity.agent.id,
            quotas=self.identity.quotas,
            period=self.period,
            reserved_tokens=self.reserved[0],
            reserved_micro=self.reserved[1],
            tokens=real[0],
            cost_micro=real[1],
            denials=sum(1 for v in verdicts if denied_by_policy(v.decision)),
            escalations=sum(1 for v in verdicts if v.decision.action == "escalate"),
        )
        try:
            await self.store.settle(outcome)
        except StateError as exc:
            log.error("could not settle request cost for %s: %s", self.identity.agent.id, exc)


def rate_headers(kind: str, info: RateInfo) -> dict[str, str]:
    return {
        f"x-ratelimit-limit-{kind}": str(info.limit),
        f"x-ratelimit-remaining-{kind}": str(info.remaining),
        f"x-ratelimit-reset-{kind}": f"{info.reset_seconds:.3f}s",
    }
