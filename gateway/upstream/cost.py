"""What a request costs: prices from `model_info` (LiteLLM's convention) or litellm's price map.

The price map is read from the JSON file litellm ships, without importing litellm (which costs
seconds and wants the network), and only when some model has no `model_info` prices.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.config import ModelEntry
from gateway.state.base import USD

log = logging.getLogger("airlock.cost")

PRICE_MAP = "model_prices_and_context_window_backup.json"
BYTES_PER_TOKEN = 4  # a deliberate over-estimate for English and code; real usage settles it
DEFAULT_COMPLETION_TOKENS = 1024


@dataclass(frozen=True, slots=True)
class Price:
    input_per_token: float  # USD
    output_per_token: float

    def micro(self, prompt_tokens: int, completion_tokens: int) -> int:
        usd = prompt_tokens * self.input_per_token + completion_tokens * self.output_per_token
        return round(usd * USD)


FREE = Price(0.0, 0.0)


class Pricing:
    def __init__(self, models: list[ModelEntry]) -> None:
        self._prices: dict[str, Price] = {}
        price_map: dict[str, Any] | None = None
        for entry in models:
            price = _from_model_info(entry.model_info)
            if price is None:
                if price_map is None:
                    price_map = _litellm_price_map()
                price = _from_price_map(price_map, entry)
            self._prices[entry.model_name] = price

    def price(self, model_name: str) -> Price:
        return self._prices.get(model_name, FREE)

    def estimate(self, model_name: str, body: dict[str, Any], body_size: int) -> tuple[int, int]:
        """(tokens, micro-dollars) to reserve before forwarding."""
        prompt = body_size // BYTES_PER_TOKEN + 1
        completion = body.get("max_completion_tokens") or body.get("max_tokens")
        if not isinstance(completion, int) or isinstance(completion, bool) or completion <= 0:
            completion = DEFAULT_COMPLETION_TOKENS
        return prompt + completion, self.price(model_name).micro(prompt, completion)

    def actual(self, model_name: str, usage: Any) -> tuple[int, int] | None:
        """(tokens, micro-dollars) from an answer's `usage`, or None when it has none."""
        if not isinstance(usage, dict):
            return None
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return None
        return prompt + completion, self.price(model_name).micro(prompt, completion)


def _from_model_info(info: dict[str, Any] | None) -> Price | None:
    if not info or "input_cost_per_token" not in info:
        return None
    return Price(float(info["input_cost_per_token"]), float(info.get("output_cost_per_token", 0.0)))


def _from_price_map(price_map: dict[str, Any], entry: ModelEntry) -> Price:
    params = entry.litellm_params
    for name in (params.model, params.provider_model):
        found = price_map.get(name)
        if isinstance(found, dict) and "input_cost_per_token" in found:
            return Price(
                float(found["input_cost_per_token"]), float(found.get("output_cost_per_token", 0))
            )
    log.warning("no price known for model %s: its spend counts as $0", entry.model_name)
    return FREE


def _litellm_price_map() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        log.warning("litellm is not installed: models without model_info prices count as $0")
        return {}
    path = Path(next(iter(locations))) / PRICE_MAP
    try:
        loaded = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("cannot read litellm's price map %s: %s", path, exc)
        return {}
    return loaded if isinstance(loaded, dict) else {}
