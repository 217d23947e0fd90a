"""The opa engine against a real `opa run --server`, and against OPAs that fail."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.errors import ConfigError, MissingBuiltinError, PolicyError
from gateway.models import PolicyInput
from gateway.policy import OpaEngine, PolicyEngine, load_engine
from tests.conftest import ROOT, free_port, stop, wait_for_http
from tests.unit.policy.samples import POLICY, policy_input, write_policy

pytestmark = pytest.mark.opa

INPUTS = [
    policy_input("ls -la"),
    policy_input("aws ec2 run-instances --count 1"),
    policy_input("gcloud run-instances", hosts=("api.stripe.com",)),
    policy_input('pay --to "Eve"\n\\ é'),
    policy_input("curl -X POST https://api.stripe.com/v1/charges", hosts=("api.stripe.com",)),
]


def start_opa(opa_bin: str, *files: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [opa_bin, "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error"]
        + [str(f) for f in files],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/health", proc)
    return proc, url


@pytest.fixture
def empty_opa(opa_bin: str) -> Iterator[str]:
    """An OPA server holding no policy, for push tests."""
    proc, url = start_opa(opa_bin)
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture
def hung_url() -> Iterator[str]:
    """A TCP server that accepts connections (in the kernel) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return write_policy(tmp_path / "policy", POLICY)


@pytest.fixture
async def embedded(policy_dir: Path) -> AsyncIterator[PolicyEngine]:
    engine = await load_engine("embedded", [policy_dir])
    yield engine
    await engine.aclose()


async def same_decisions(
    opa: PolicyEngine, embedded: PolicyEngine, inputs: list[PolicyInput]
) -> None:
    assert opa.name == "opa"
    assert opa.revision == embedded.revision
    assert await opa.evaluate(inputs) == await embedded.evaluate(inputs)


async def test_pushed_policy_decides_like_embedded(
    empty_opa: str, policy_dir: Path, embedded: PolicyEngine
) -> None:
    opa = await load_engine("opa", [policy_dir], opa_url=empty_opa, push=True)
    try:
        await same_decisions(opa, embedded, INPUTS)
        decisions = await opa.evaluate(INPUTS)
        assert [d.action for d in decisions] == ["allow", "escalate", "deny", "deny", "deny"]
    finally:
        await opa.aclose()


async def test_server_started_on_the_files_decides_like_embedded(
    opa_bin: str, policy_dir: Path, embedded: PolicyEngine
) -> None:
    proc, url = start_opa(opa_bin, policy_dir)
    try:
        opa = await load_engine("opa", [policy_dir], opa_url=url)
        await same_decisions(opa, embedded, INPUTS)
        await opa.aclose()
    finally:
        stop(proc)


async def test_real_policy_decides_like_embedded(opa_server: str) -> None:
    rego = [ROOT / "rego"]
    opa = await load_engine("opa", rego, opa_url=opa_server)
    embedded = await load_engine("embedded", rego)
    try:
        await same_decisions(opa, embedded, INPUTS)
    finally:
        await opa.aclose()
        await embedded.aclose()


async def test_many_inputs_are_evaluated_concurrently_in_order(
    empty_opa: str, policy_dir: Path
) -> None:
    opa = await load_engine("opa", [policy_dir], opa_url=empty_opa, push=True)
    inputs = [policy_input("pay x" if i % 7 == 0 else "ls", call_id=f"c{i}") for i in range(300)]
    try:
        started = time.monotonic()
        decisions = await opa.evaluate(inputs)
        assert time.monotonic() - started < 10
        assert [d.action for d in decisions] == [
            "deny" if i % 7 == 0 else "allow" for i in range(300)
        ]
    finally:
        await opa.aclose()


async def test_push_replaces_stale_modules_and_data(
    empty_opa: str, policy_dir: Path, embedded: PolicyEngine
) -> None:
    stale = (
        "package airlock.cloud\n\n"
        'findings contains {"rule": "old", "category": "payment", "message": "m"}\n'
    )
    async with httpx.AsyncClient(base_url=empty_opa) as http:
        (await http.put("/v1/policies/old/stale.rego", content=stale)).raise_for_status()
        (await http.put("/v1/data/airlock/leftover", json={"k": 1})).raise_for_status()
    opa = await load_engine("opa", [policy_dir], opa_url=empty_opa, push=True)
    try:
        await same_decisions(opa, embedded, INPUTS)
        async with httpx.AsyncClient(base_url=empty_opa) as http:
            ids = [p["id"] for p in (await http.get("/v1/policies")).json()["result"]]
            leftover = (await http.get("/v1/data/airlock/leftover")).json()
        assert sorted(ids) == sorted(k for k in POLICY if k.endswith(".rego"))
        assert "result" not in leftover
    finally:
        await opa.aclose()


async def test_opa_without_a_builtin_is_refused_by_name(empty_opa: str, tmp_path: Path) -> None:
    rule = 'package airlock\n\ndecision := 1 if crypto.quantum_sign("x") == "y"\n'
    with pytest.raises(MissingBuiltinError) as caught:
        await load_engine(
            "opa", [write_policy(tmp_path, {"main.rego": rule})], opa_url=empty_opa, push=True
        )
    assert caught.value.engine == "opa"
    assert caught.value.builtins == ["crypto.quantum_sign"]


async def test_http_send_is_refused_by_embedded_only(empty_opa: str, tmp_path: Path) -> None:
    rule = (
        'package airlock\n\ndecision := {"action": "allow", "reasons": []} if {\n'
        '\tinput.never\n\thttp.send({"method": "get", "url": "http://127.0.0.1:9"})\n}\n'
    )
    root = write_policy(tmp_path, {"main.rego": rule})
    opa = await load_engine("opa", [root], opa_url=empty_opa, push=True)
    await opa.aclose()
    with pytest.raises(MissingBuiltinError, match=r"http\.send"):
        await load_engine("embedded", [root])


async def test_rejected_module_is_a_config_error(empty_opa: str, tmp_path: Path) -> None:
    root = write_policy(tmp_path, {"main.rego": "package airlock\n\ndecision := {\n"})
    with pytest.raises(ConfigError, match=r"OPA rejected the policy: main\.rego"):
        await load_engine("opa", [root], opa_url=empty_opa, push=True)


async def test_server_without_our_modules_is_refused(empty_opa: str, policy_dir: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"does not serve these policy modules.*airlock/main\.rego"
    ):
        await load_engine("opa", [policy_dir], opa_url=empty_opa)


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ('decision := {"action": "deny", "reasons": [{"rule": "r"}]}', "category is missing"),
        ("decision := 1 if input.never", "undefined"),
        (
            'decision := "a" if input.version == 1\ndecision := "b" if input.version == 1',
            "HTTP 500",
        ),
    ],
)
async def test_bad_decisions_are_policy_errors(
    empty_opa: str, tmp_path: Path, rule: str, complaint: str
) -> None:
    root = write_policy(tmp_path, {"main.rego": f"package airlock\n\n{rule}\n"})
    opa = await load_engine("opa", [root], opa_url=empty_opa, push=True)
    try:
        with pytest.raises(PolicyError, match=complaint):
            await opa.evaluate([policy_input("ls")])
    finally:
        await opa.aclose()


async def test_opa_down_at_start_is_a_config_error(policy_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError, match=f"OPA server unreachable at {url}"):
        await load_engine("opa", [policy_dir], opa_url=url, push=True)


async def test_opa_going_down_is_a_policy_error(opa_bin: str, policy_dir: Path) -> None:
    proc, url = start_opa(opa_bin)
    opa = await load_engine("opa", [policy_dir], opa_url=url, push=True)
    try:
        await opa.evaluate(INPUTS[:1])
        stop(proc)
        for _ in range(2):  # the pooled connection first, then a fresh one
            with pytest.raises(PolicyError, match=f"OPA server unreachable at {url}"):
                await opa.evaluate(INPUTS[:1])
    finally:
        stop(proc)
        await opa.aclose()


async def test_hung_opa_at_start_is_a_config_error(hung_url: str, policy_dir: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"did not answer within 0\.3s"):
        await load_engine("opa", [policy_dir], opa_url=hung_url, timeout_seconds=0.3)
    assert time.monotonic() - started < 2


async def test_hung_opa_times_out_within_the_budget(hung_url: str) -> None:
    opa = OpaEngine(hung_url, "rev", timeout_seconds=0.3)
    await opa.open()
    try:
        started = time.monotonic()
        with pytest.raises(PolicyError, match=r"OPA evaluation timed out after 0\.3s"):
            await opa.evaluate(INPUTS)
        assert time.monotonic() - started < 1.5
    finally:
        await opa.aclose()
    with pytest.raises(PolicyError, match="closed"):
        await opa.evaluate(INPUTS)


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1:8181", "http://127.0.0.1:8181/v1", "127.0.0.1:8181", "http://:80"]
)
def test_bad_opa_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="opa_url"):
        OpaEngine(url, "rev")
