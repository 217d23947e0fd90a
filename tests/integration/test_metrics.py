"""`/metrics`: scraped from a real gateway after known traffic, in Prometheus text format."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.harness import AGENT_KEY, PROVIDER_KEY, Gateway, config, running_gateway
from tests.integration.redis_fixture import RedisServer
from tests.integration.redis_fixture import own_redis as own_redis  # the fixture

ADMIN = "admin-token-for-tests-0123456789"
CHAT = "/v1/chat/completions"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(gw: Gateway) -> tuple[str, Samples]:
    r = httpx.get(gw.url + "/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return r.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_metrics_count_requests_decisions_latency_and_reloads(
    scripted_upstream: str, tmp_path: Path
) -> None:
    values = config(scripted_upstream)
    values["admin_token"] = ADMIN
    with running_gateway(tmp_path / "gw", values) as gw:
        _, before = scrape(gw)
        assert gw.chat("scenario:text").headers["x-airlock-decision"] == "none"
        assert gw.chat("scenario:benign_and_forbidden").status_code == 200  # allow + escalate
        assert gw.chat("scenario:forbidden_only").headers["x-airlock-decision"] == "deny"
        assert gw.chat("scenario:text_stream_slow", stream=True).status_code == 200
        assert gw.chat("scenario:text", key="not-a-key").status_code == 401
        assert httpx.get(gw.url + "/no/such/path/req_123").status_code == 404
        assert httpx.get(gw.url + "/v1/models", headers={"authorization": f"Bearer {AGENT_KEY}"})
        reloaded = httpx.post(
            gw.url + "/admin/reload", headers={"authorization": f"Bearer {ADMIN}"}
        )
        assert reloaded.status_code == 200
        revision = reloaded.json()["policy_revision"]
        text, after = scrape(gw)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("airlock_http_requests_total", route=CHAT, status="200") == 4
    assert grew("airlock_http_requests_total", route=CHAT, status="401") == 1
    assert grew("airlock_http_requests_total", route="unmatched", status="404") == 1
    assert grew("airlock_http_requests_total", route="/v1/models", status="200") == 1
    assert grew("airlock_http_requests_total", route="/admin/reload", status="200") == 1

    # three tool calls: ls -la (allow), run-instances (escalate, async: pending), cat creds (deny)
    assert grew("airlock_decisions_total", action="allow") == 1
    assert grew("airlock_decisions_total", action="escalate") == 1
    assert grew("airlock_decisions_total", action="deny") == 1
    assert grew("airlock_tool_calls_total", enforced="allow") == 1
    assert grew("airlock_tool_calls_total", enforced="block") == 2
    assert total(after, "airlock_decision_rules_total", action="deny") >= 1
    assert (
        value(
            after,
            "airlock_decision_rules_total",
            action="escalate",
            rule="airlock.approval.pending",
        )
        == 1
    )
    assert value(after, "airlock_approvals_pending") == 1

    # every answer came from the provider: three whole answers and one stream
    complete = {"model": "gpt-test", "mode": "complete"}
    assert total(after, "airlock_upstream_latency_seconds_count", **complete) == 3
    assert total(after, "airlock_upstream_latency_seconds_count", mode="stream") == 1
    assert value(after, "airlock_upstream_latency_seconds_bucket", le="+Inf", **complete) == 3
    assert value(after, "airlock_upstream_latency_seconds_sum", **complete) > 0
    # the policy ran for the two answers with tool calls, not for the others
    assert value(after, "airlock_policy_evaluation_seconds_count", engine="embedded") == 2

    assert value(after, "airlock_policy_reloads_total", result="ok") == 1
    assert value(after, "airlock_policy_revision_info", engine="embedded", revision=revision) == 1
    assert total(after, "airlock_policy_revision_info") == 1  # only the revision now served
    assert value(after, "process_resident_memory_bytes") > 0

    # bounded labels only: no agent, key, request or approval ids, no secrets
    for leak in (AGENT_KEY, PROVIDER_KEY, ADMIN, "test-agent", "req_", "apr_", "/no/such"):
        assert leak not in text, leak


def test_metrics_count_state_errors(
    scripted_upstream: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    values = config(scripted_upstream, state={"redis_url": own_redis.url})
    with running_gateway(tmp_path / "gw", values) as gw:
        _, before = scrape(gw)
        own_redis.stop()
        assert gw.chat("scenario:text").status_code == 503
        _, after = scrape(gw)
        own_redis.start()
        assert gw.chat("scenario:text").status_code == 200
    errors = "airlock_state_errors_total"
    assert value(after, errors, store="state") > value(before, errors, store="state")
    # listing pending approvals for the gauge failed too, and was counted, not raised
    assert value(after, errors, store="approvals") > value(before, errors, store="approvals")
    assert value(after, "airlock_http_requests_total", route=CHAT, status="503") == 1


def test_a_repeated_tool_call_is_decided_from_the_cache(
    scripted_upstream: str, tmp_path: Path
) -> None:
    with running_gateway(tmp_path / "gw", config(scripted_upstream)) as gw:
        _, before = scrape(gw)
        for _ in range(2):
            answer = gw.chat("scenario:one_tool_call nonce=again")
            assert answer.headers["x-airlock-decision"] == "allow"
        # after a denial the quarantine's input (recent denials) differs: evaluated anew
        assert gw.chat("scenario:forbidden_only").headers["x-airlock-decision"] == "deny"
        assert (
            gw.chat("scenario:one_tool_call nonce=again").headers["x-airlock-decision"] == "allow"
        )
        _, after = scrape(gw)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("airlock_policy_cache_total", result="miss") == 3
    assert grew("airlock_policy_cache_total", result="hit") == 1
    assert grew("airlock_decisions_total", action="allow") == 3  # each recorded and enforced
    assert grew("airlock_tool_calls_total", enforced="allow") == 3
