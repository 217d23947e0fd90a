"""Which provider serves a model name, and how we talk to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway.config import ModelEntry
from gateway.errors import UnknownModelError

# Providers that speak OpenAI's wire format at `api_base`: forwarded raw, no translation.
PASSTHROUGH_PROVIDERS = frozenset({"openai", "text-completion-openai"})
OPENAI_API_BASE = "https://api.openai.com/v1"


@dataclass(frozen=True, slots=True)
class Route:
    model_name: str  # what the agent asks for
    litellm_model: str  # "anthropic/claude-…", as configured
    provider_model: str  # what the provider calls it
    kind: Literal["passthrough", "litellm"]
    api_base: str | None
    api_key: str | None
    timeout: float | None
    extra: dict[str, Any]


class Router:
    def __init__(self, models: list[ModelEntry]) -> None:
        self._routes = {m.model_name: _route(m) for m in models}

    @property
    def model_names(self) -> list[str]:
        return list(self._routes)

    def resolve(self, model: str) -> Route:
        route = self._routes.get(model)
        if route is None:
            raise UnknownModelError(
                f"The model `{model}` does not exist or you do not have access to it.",
                param="model",
            )
        return route

    def needs_litellm(self) -> bool:
        return any(r.kind == "litellm" for r in self._routes.values())


def _route(entry: ModelEntry) -> Route:
    params = entry.litellm_params
    passthrough = params.provider in PASSTHROUGH_PROVIDERS
    api_base = params.api_base or (OPENAI_API_BASE if passthrough else None)
    return Route(
        model_name=entry.model_name,
        litellm_model=params.model,
        provider_model=params.provider_model,
        kind="passthrough" if passthrough else "litellm",
        api_base=api_base.rstrip("/") if api_base else None,
        api_key=params.api_key.get_secret_value() if params.api_key else None,
        timeout=params.timeout,
        extra=params.extra_params(),
    )
