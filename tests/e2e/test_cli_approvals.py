"""`airlock approvals …` against the fake gateway, in a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.fake_gateway import AGENT_KEY, APPROVER_TOKEN, Served

# What gateway/cli.py does for the `approvals` command, so that this test does not depend
# on the rest of the CLI.
MAIN = """
import argparse, sys
from gateway import cli_approvals
from gateway.errors import AirlockError
parser = argparse.ArgumentParser(prog="airlock")
commands = parser.add_subparsers(dest="command", required=True)
cli_approvals.add_parser(commands)
try:
    sys.exit(cli_approvals.run(parser.parse_args()))
except AirlockError as exc:
    print(f"airlock: {exc}", file=sys.stderr)
    sys.exit(2)
"""


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with Served(keepalive_seconds=0.2) as s:
        yield s


def env(token: str | None = APPROVER_TOKEN) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "AIRLOCK_APPROVER_TOKEN"}
    return base if token is None else {**base, "AIRLOCK_APPROVER_TOKEN": token}


def airlock(served: Served, *args: str, token: str | None = APPROVER_TOKEN) -> Any:
    return subprocess.run(
        [sys.executable, "-c", MAIN, "approvals", *args, "--url", served.url],
        capture_output=True,
        text=True,
        env=env(token),
        cwd=ROOT,
        timeout=60,
    )


def create(served: Served, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{served.url}/_test/approvals", json=fields, timeout=5)
    r.raise_for_status()
    created: dict[str, Any] = r.json()
    return created


def test_list_prints_a_table_and_json(served: Served) -> None:
    a = create(served, agent="deploy-bot", tool_name="terraform")
    done = airlock(served, "list", "--status", "pending")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:2] == ["ID", "STATUS"]
    row = next(r for r in rows if r.startswith(a["id"]))
    assert "pending" in row and "deploy-bot" in row and "terraform" in row
    assert "instance_creation: aws ec2 run-instances" in row

    raw = airlock(served, "list", "--json")
    assert raw.returncode == 0, raw.stderr
    assert a["id"] in [item["id"] for item in json.loads(raw.stdout)]


def test_show_prints_the_call_facts_reasons_and_history(served: Served) -> None:
    a = create(served)
    done = airlock(served, "show", a["id"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"{a['id']}  pending, ")
    assert "[instance_creation] aws ec2 run-instances would create" in out
    assert '"command": "aws ec2 run-instances' in out
    assert "command: aws ec2 run-instances --image-id ami-0abc1234" in out
    assert "user: Train the model on a bigger machine" in out
    assert "pending  by airlock" in out


def test_approve_and_deny_decide_and_a_second_decision_fails(served: Served) -> None:
    a, b = create(served), create(served)
    done = airlock(served, "approve", a["id"], "--reason", "capacity test")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"approved {a['id']} (bash from build-bot/platform)"
    assert {
        "id": a["id"],
        "action": "approve",
        "by": "alice",
        "reason": "capacity test",
    } in served.fake.decisions

    denied = airlock(served, "deny", b["id"], "--reason", "no GPUs", "--json")
    assert denied.returncode == 0, denied.stderr
    assert json.loads(denied.stdout)["history"][-1]["reason"] == "no GPUs"

    again = airlock(served, "deny", a["id"], "--reason", "changed my mind")
    assert again.returncode == 2
    assert "refused (409)" in again.stderr


def test_deny_requires_a_reason(served: Served) -> None:
    a = create(served)
    done = airlock(served, "deny", a["id"])
    assert done.returncode == 2
    assert "--reason" in done.stderr
    blank = airlock(served, "deny", a["id"], "--reason", " ")
    assert blank.returncode == 2 and "needs a reason" in blank.stderr


def test_no_token_and_an_agent_key_are_refused(served: Served) -> None:
    missing = airlock(served, "list", token=None)
    assert missing.returncode == 2 and "AIRLOCK_APPROVER_TOKEN" in missing.stderr
    agent = airlock(served, "list", token=AGENT_KEY)
    assert agent.returncode == 2 and "refused (403)" in agent.stderr
    assert AGENT_KEY not in agent.stderr


def test_unknown_id_is_a_404(served: Served) -> None:
    done = airlock(served, "show", "apr_nope")
    assert done.returncode == 2 and "refused (404)" in done.stderr


def test_watch_prints_live_events_until_interrupted(served: Served) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", MAIN, "approvals", "--url", served.url, "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=ROOT,
    ) as proc:
        try:
            wait_until_watching(served, proc)
            a = create(served, tool_name="stripe_charge")
            httpx.post(
                f"{served.url}/approvals/{a['id']}/deny",
                json={"reason": "no payments"},
                headers={"authorization": f"Bearer {APPROVER_TOKEN}"},
                timeout=5,
            ).raise_for_status()
            assert proc.stdout is not None
            created = proc.stdout.readline()
            denied = proc.stdout.readline()
        finally:
            proc.send_signal(signal.SIGINT)
            _, errors = proc.communicate(timeout=10)
    assert proc.returncode == 0, errors
    assert f"created  {a['id']}  stripe_charge from build-bot/platform" in created
    assert "5:00 left" in created or "4:59 left" in created
    assert f"denied   {a['id']}" in denied and "by alice: no payments" in denied


def wait_until_watching(served: Served, proc: subprocess.Popen[str]) -> None:
    for _ in range(400):
        if proc.poll() is not None:
            raise AssertionError(f"watch exited with {proc.returncode}")
        if httpx.get(f"{served.url}/_test/streams", timeout=5).json()["open"]:
            return
        time.sleep(0.05)
    raise AssertionError("watch did not connect")


def test_terminal_control_characters_from_the_model_are_shown_not_obeyed(served: Served) -> None:
    a = create(
        served,
        tool_name="bash\x1b[2J",
        arguments={"command": "echo safe \u202e;hs.kcatta"},
        excerpt=[{"role": "user", "content": "first line\nsecond \x9b31m line"}],
    )
    for args in (("show", a["id"]), ("list",), ("show", a["id"], "--json")):
        done = airlock(served, *args)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
        assert "\x9b" not in done.stdout
    shown = airlock(served, "show", a["id"]).stdout
    assert "bash\\u001b[2J" in shown
    assert "echo safe \\u202e;hs.kcatta" in shown
    assert "user: first line\n  second \\u009b31m line" in shown
