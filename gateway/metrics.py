"""Prometheus metrics: one registry of this process, served at `GET /metrics`.

Every label has a bounded set of values: route templates (never raw paths), configured
model names, policy rule names, and small enums. No agent, key, approval or request id is
ever a label, and no value carries a secret. `/metrics` needs no credential, so it must be
reachable only from the operator's network (a scraper beside the gateway), never publicly.

The hot path only increments: label children are bound once (here, or on first use and
cached), so a request costs a dict lookup and an increment per metric it touches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
PENDING_SCAN_LIMIT = 1000  # approvals_pending saturates here (it reads the approvals store)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_POLICY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

REQUESTS = Counter(
    "airlock_http_requests",
    "HTTP requests answered, by route template and status code.",
    ["route", "status"],
    registry=REGISTRY,
)
DECISIONS = Counter(
    "airlock_decisions",
    "Tool calls decided, by the decision (deny also when the policy could not be evaluated).",
    ["action"],
    registry=REGISTRY,
)
DECISION_RULES = Counter(
    "airlock_decision_rules",
    "Reasons given with decisions, by decision and rule (a decision may give several).",
    ["action", "rule"],
    registry=REGISTRY,
)
POLICY_CACHE = Counter(
    "airlock_policy_cache",
    "Tool calls decided from the decision cache (hit) or by the engine (miss).",
    ["result"],
    registry=REGISTRY,
)
_CACHE_HITS = POLICY_CACHE.labels("hit")
_CACHE_MISSES = POLICY_CACHE.labels("miss")
TOOL_CALLS = Counter(
    "airlock_tool_calls",
    "Tool calls by what was enforced: allow (passed to the agent) or block.",
    ["enforced"],
    registry=REGISTRY,
)
APPROVALS_PENDING = Gauge(
    "airlock_approvals_pending",
    f"Approvals waiting for a human, on every replica (read at scrape; at most "
    f"{PENDING_SCAN_LIMIT}).",
    registry=REGISTRY,
)
APPROVALS_HELD = Gauge(
    "airlock_approvals_held_requests",
    "Escalated tool calls this replica holds a request open for, waiting for an approver.",
    registry=REGISTRY,
)
UPSTREAM_LATENCY = Histogram(
    "airlock_upstream_latency_seconds",
    "Provider latency: the whole answer (mode=complete) or until the first stream event "
    "(mode=stream), failures included.",
    ["model", "mode"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
POLICY_LATENCY = Histogram(
    "airlock_policy_evaluation_seconds",
    "Policy evaluation of the tool calls of one answer, by engine.",
    ["engine"],
    buckets=_POLICY_BUCKETS,
    registry=REGISTRY,
)
STATE_ERRORS = Counter(
    "airlock_state_errors",
    "Failures of the state store (rate limits, budgets, keys) and the approvals store.",
    ["store"],
    registry=REGISTRY,
)
POLICY_RELOADS = Counter(
    "airlock_policy_reloads",
    "Policy reloads: ok (a new engine serves), unchanged, or failed (the last good one serves).",
    ["result"],
    registry=REGISTRY,
)
POLICY_REVISION = Gauge(
    "airlock_policy_revision_info",
    "1 for the policy revision this replica serves.",
    ["engine", "revision"],
    registry=REGISTRY,
)

_ENFORCED = {True: TOOL_CALLS.labels("allow"), False: TOOL_CALLS.labels("block")}
_ACTIONS = {action: DECISIONS.labels(action) for action in ("allow", "deny", "escalate")}
_STORES = {store: STATE_ERRORS.labels(store) for store in ("state", "approvals")}
_RELOADS = {result: POLICY_RELOADS.labels(result) for result in ("ok", "unchanged", "failed")}
_rules: dict[tuple[str, str], Any] = {}
_routes: dict[tuple[str, int], Any] = {}
_upstreams: dict[tuple[str, str], Any] = {}
_engines: dict[str, Any] = {}
_revision: tuple[str, str] | None = None


def decided(action: str, rules: Iterable[str], allowed: bool) -> None:
    """One tool call's decision, the rules behind it, and what was enforced."""
    _ACTIONS[action].inc()
    for rule in rules:
        child = _rules.get((action, rule))
        if child is None:
            child = _rules[(action, rule)] = DECISION_RULES.labels(action, rule)
        child.inc()
    _ENFORCED[allowed].inc()


def state_error(store: str) -> None:
    """A state ("state") or approvals ("approvals") store failed to answer."""
    _STORES[store].inc()


def upstream_latency(model: str, mode: str, seconds: float) -> None:
    child = _upstreams.get((model, mode))
    if child is None:
        child = _upstreams[(model, mode)] = UPSTREAM_LATENCY.labels(model, mode)
    child.observe(seconds)


def policy_cache(hits: int, misses: int) -> None:
    if hits:
        _CACHE_HITS.inc(hits)
    if misses:
        _CACHE_MISSES.inc(misses)


def policy_latency(engine: str, seconds: float) -> None:
    child = _engines.get(engine)
    if child is None:
        child = _engines[engine] = POLICY_LATENCY.labels(engine)
    child.observe(seconds)


def reloaded(result: str) -> None:
    """`ok`, `unchanged` or `failed`."""
    _RELOADS[result].inc()


def serving(engine: str, revision: str) -> None:
    """The policy revision now served; the previous one's series is removed."""
    global _revision
    if _revision == (engine, revision):
        return
    if _revision is not None:
        POLICY_REVISION.remove(*_revision)
    POLICY_REVISION.labels(engine, revision).set(1)
    _revision = (engine, revision)


def render() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CountRequests:
    """ASGI middleware counting answered requests by route template and status.

    The route comes from the router's match (`scope["route"]`), so `/approvals/apr_…` counts
    as `/approvals/{approval_id}` and unmatched paths as `unmatched`: scanners cannot grow
    the label set. A request whose handler raised counts as 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def counted(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _count(scope, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        except Exception:
            if not started:
                _count(scope, 500)
            raise


def _count(scope: Scope, status: int) -> None:
    route = getattr(scope.get("route"), "path", None) or "unmatched"
    child = _routes.get((route, status))
    if child is None:
        child = _routes[(route, status)] = REQUESTS.labels(route, str(status))
    child.inc()
