"""A small policy shaped like rego/ (lib helper, outcomes as data, one entrypoint), and inputs."""

from __future__ import annotations

from pathlib import Path

from gateway.models import (
    ActionFacts,
    Agent,
    Command,
    PolicyInput,
    RequestInfo,
    ToolCallInput,
    Url,
)

LIB = """package airlock.lib

finding(rule, category, message) := {"rule": rule, "category": category, "message": message}
"""

CLOUD = """package airlock.cloud

import data.airlock.lib

findings contains lib.finding("airlock.cloud.create", "instance_creation", msg) if {
	some cmd in input.action.commands
	cmd.program in data.airlock.cloud_clis
	"run-instances" in cmd.argv
	msg := concat(" ", ["cloud CLI", cmd.program, "would create an instance"])
}
"""

PAYMENT = """package airlock.payment

import data.airlock.lib

findings contains lib.finding("airlock.payment.host", "payment", msg) if {
	some url in input.action.urls
	url.host in data.airlock.payment_hosts
	msg := concat("", ["request to payment host ", url.host])
}

findings contains lib.finding("airlock.payment.echo", "payment", cmd.raw) if {
	some cmd in input.action.commands
	cmd.program == "pay"
}
"""

MAIN = """package airlock

findings := data.airlock.cloud.findings | data.airlock.payment.findings

verdicts contains data.airlock.outcomes[f.category] if {
	some f in findings
}

default decision := {"action": "allow", "reasons": []}

decision := {"action": "deny", "reasons": [f | some f in findings]} if "deny" in verdicts

decision := {"action": "escalate", "reasons": [f | some f in findings]} if {
	"escalate" in verdicts
	not "deny" in verdicts
}
"""

DATA = """{"airlock": {
  "cloud_clis": ["aws", "gcloud"],
  "payment_hosts": ["api.stripe.com"],
  "outcomes": {"instance_creation": "escalate", "payment": "deny"}
}}
"""

POLICY = {
    "airlock/lib/lib.rego": LIB,
    "airlock/cloud/cloud.rego": CLOUD,
    "airlock/payment/payment.rego": PAYMENT,
    "airlock/main.rego": MAIN,
    "data.json": DATA,
}


def write_policy(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative name → text) under `root`; return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def policy_input(
    *commands: str, hosts: tuple[str, ...] = (), name: str = "bash", call_id: str = "call_1"
) -> PolicyInput:
    """An input whose facts are `commands` (split on spaces) and HTTPS POSTs to `hosts`."""
    return PolicyInput(
        agent=Agent(id="unit", team="policy"),
        request=RequestInfo(id="req_1", model="gpt-4o", endpoint="chat.completions", stream=False),
        tool_call=ToolCallInput(id=call_id, name=name, arguments={"command": "; ".join(commands)}),
        action=ActionFacts(
            commands=[Command(program=c.split()[0], argv=c.split(), raw=c) for c in commands],
            urls=[Url(method="POST", scheme="https", host=h, path="/v1/x") for h in hosts],
        ),
    )
