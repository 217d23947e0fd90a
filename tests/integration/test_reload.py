"""Hot reload of rego/ and its data: `POST /admin/reload`, the file watch, both engines.

Each test runs a real gateway on its own copy of rego/ and edits that copy. The signal is the
outcome of `instance_creation` in data.json: `escalate` (as shipped) or `deny`, which shows in
the `x-airlock-decision` header of an answer holding an `aws ec2 run-instances` call.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ROOT, free_port, stop, wait_for_http
from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway, wait_for

ADMIN = "admin-token-for-tests-0123456789"
POLICY = ROOT / "rego"
CHANGE = "the gateway to pick up the change"  # what the reload tests wait for
BROKEN_SYNTAX = "package airlock.extra\n\nhit := {\n"
MISSING_BUILTIN = 'package airlock.extra\n\nhit if net.cidr_containz("10.0.0.0/8", "10.1.1.1")\n'


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A private copy of rego/ for the test to edit."""
    copy = tmp_path / "rego"
    shutil.copytree(POLICY, copy)
    return copy


def settings(upstream: str, policy: Path, **policy_settings: Any) -> dict[str, Any]:
    values = config(upstream, policy={"paths": [str(policy)], **policy_settings})
    values["admin_token"] = ADMIN
    return values


def set_outcome(policy: Path, outcome: str) -> None:
    data = orjson.loads((policy / "data.json").read_bytes())
    data["airlock"]["outcomes"]["instance_creation"] = outcome
    (policy / "data.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def decision(gw: Gateway) -> str:
    """The decision on an answer holding `ls -la` and `aws ec2 run-instances`."""
    r = gw.chat("scenario:benign_and_forbidden")
    assert r.status_code == 200, r.text
    return r.headers["x-airlock-decision"]


def reload(gw: Gateway, token: str = ADMIN) -> httpx.Response:
    return httpx.post(
        gw.url + "/admin/reload", headers={"authorization": f"Bearer {token}"}, timeout=60
    )


def ready(gw: Gateway) -> dict[str, Any]:
    r = httpx.get(gw.url + "/readyz", timeout=10)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_admin_reload_swaps_the_policy_and_keeps_the_last_good_one(
    scripted_upstream: str, policy: Path, tmp_path: Path
) -> None:
    with running_gateway(tmp_path / "gw", settings(scripted_upstream, policy)) as gw:
        first = ready(gw)["policy_revision"]
        shipped = (policy / "data.json").read_bytes()
        assert decision(gw) == "escalate"
        assert reload(gw, token=AGENT_KEY).status_code == 403
        assert httpx.post(gw.url + "/admin/reload").status_code == 401

        set_outcome(policy, "deny")
        r = reload(gw)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "reloaded" and body["previous_revision"] == first
        second = body["policy_revision"]
        assert second != first and ready(gw)["policy_revision"] == second
        assert decision(gw) == "deny"
        assert {rec["policy_revision"] for rec in gw.audit()[-2:]} == {second}

        extra = policy / "airlock" / "extra.rego"
        broken = [
            (extra, BROKEN_SYNTAX, "cannot compile"),
            (extra, MISSING_BUILTIN, "net.cidr_containz"),
            (policy / "data.json", '{"airlock": {"outcomes": ', "does not parse"),
        ]
        good_data = (policy / "data.json").read_bytes()
        for path, text, complaint in broken:
            path.write_text(text)
            r = reload(gw)
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error["code"] == "policy_reload_failed" and complaint in error["message"]
            assert r.json()["policy_revision"] == second
            state = ready(gw)
            assert state["policy_revision"] == second and complaint in state["reload_error"]
            assert decision(gw) == "deny"  # still the last good policy
            assert gw.audit()[-1]["policy_revision"] == second
            extra.unlink(missing_ok=True)
            (policy / "data.json").write_bytes(good_data)
        assert "policy reload failed; still serving revision " + second in gw.log()

        (policy / "data.json").write_bytes(shipped)
        r = reload(gw)
        assert r.status_code == 200 and r.json()["policy_revision"] == first
        assert "reload_error" not in ready(gw)
        assert decision(gw) == "escalate"


def test_reloads_under_load_drop_no_request(
    scripted_upstream: str, policy: Path, tmp_path: Path
) -> None:
    """Every request during many swaps is answered, and decided wholly by one revision."""
    with running_gateway(tmp_path / "gw", settings(scripted_upstream, policy)) as gw:
        revisions = {}
        for outcome in ("escalate", "deny"):
            set_outcome(policy, outcome)
            revisions[outcome] = reload(gw).json()["policy_revision"]
        stop_load = threading.Event()
        outcomes: list[str] = []
        failures: list[str] = []

        def load() -> None:
            with httpx.Client(timeout=30) as client:
                while not stop_load.is_set():
                    r = client.post(
                        gw.base_url + "/chat/completions",
                        json={
                            "model": "gpt-test",
                            "messages": [
                                {"role": "user", "content": "scenario:benign_and_forbidden"}
                            ],
                        },
                        headers={"authorization": f"Bearer {AGENT_KEY}"},
                    )
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text}")
                    else:
                        outcomes.append(r.headers["x-airlock-decision"])

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            for i in range(8):
                outcome = "escalate" if i % 2 == 0 else "deny"
                set_outcome(policy, outcome)
                r = reload(gw)
                assert r.status_code == 200 and r.json()["policy_revision"] == revisions[outcome]
                time.sleep(0.2)
        finally:
            stop_load.set()
            for worker in workers:
                worker.join()
        assert failures == []
        assert set(outcomes) == {"escalate", "deny"} and len(outcomes) > 16
        records = gw.audit()
        by_request: dict[str, set[str]] = {}
        for record in records:
            by_request.setdefault(record["request_id"], set()).add(record["policy_revision"])
            expected = "escalate" if record["policy_revision"] == revisions["escalate"] else "deny"
            if "run-instances" in str(record["arguments"]):
                assert record["decision"] == expected  # each revision decided as it says
            assert "airlock.policy_error" not in record["rules"]  # no evaluation on a closed engine
        assert all(len(seen) == 1 for seen in by_request.values())


def test_file_watch_reloads_changes_and_reports_broken_files(
    scripted_upstream: str, policy: Path, tmp_path: Path
) -> None:
    values = settings(scripted_upstream, policy, watch=True)
    with running_gateway(tmp_path / "gw", values) as gw:
        first = ready(gw)["policy_revision"]
        shipped = (policy / "data.json").read_bytes()
        set_outcome(policy, "deny")
        second = wait_for(lambda: ready(gw)["policy_revision"] != first and ready(gw), CHANGE, 15)
        assert decision(gw) == "deny"
        assert gw.audit()[-1]["policy_revision"] == second["policy_revision"]

        (policy / "airlock" / "extra.rego").write_text(BROKEN_SYNTAX)
        state = wait_for(lambda: "reload_error" in ready(gw) and ready(gw), CHANGE, 15)
        assert state["policy_revision"] == second["policy_revision"]
        assert decision(gw) == "deny"

        (policy / "airlock" / "extra.rego").unlink()  # back to the files that serve
        state = wait_for(lambda: "reload_error" not in ready(gw) and ready(gw), CHANGE, 15)
        assert state["policy_revision"] == second["policy_revision"]

        (policy / "data.json").write_bytes(shipped)
        wait_for(lambda: ready(gw)["policy_revision"] == first, CHANGE, 15)
        assert decision(gw) == "escalate"


@pytest.fixture
def empty_opa(opa_bin: str) -> Iterator[str]:
    """An OPA server with no policy, for the gateway to push to."""
    port = free_port()
    proc = subprocess.Popen(
        [opa_bin, "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error"],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", proc)
        yield url
    finally:
        stop(proc)


def test_opa_reload_pushes_and_restores_the_last_good_policy(
    scripted_upstream: str, policy: Path, empty_opa: str, tmp_path: Path
) -> None:
    values = settings(scripted_upstream, policy, engine="opa", opa_url=empty_opa, opa_push=True)
    with running_gateway(tmp_path / "gw", values) as gw:
        assert decision(gw) == "escalate"
        set_outcome(policy, "deny")
        r = reload(gw)
        assert r.status_code == 200, r.text
        second = r.json()["policy_revision"]
        assert decision(gw) == "deny"
        assert gw.audit()[-1]["engine"] == "opa"
        assert gw.audit()[-1]["policy_revision"] == second

        # OPA refuses the module; whatever the push changed is pushed back.
        set_outcome(policy, "escalate")
        (policy / "airlock" / "extra.rego").write_text(MISSING_BUILTIN)
        r = reload(gw)
        assert r.status_code == 422, r.text
        assert "net.cidr_containz" in r.json()["error"]["message"]
        assert ready(gw)["policy_revision"] == second
        assert decision(gw) == "deny"  # the last good data, not the new one
        served = httpx.get(empty_opa + "/v1/policies").json()["result"]
        assert "airlock/extra.rego" not in {p["id"] for p in served}
